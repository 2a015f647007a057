import { badInput } from '../domain/errors.js';
import { callHistory } from '../history/service.js';
import { builder } from './builder.js';
import { selectsHasNextPage } from './selection.js';
import { CallConnection, callHistoryArgs } from './call-history.js';

interface ProjectShape {
  id: string;
}

/** A federation entity: other subgraphs own projects, this one adds their call history. */
export const Project = builder.objectRef<ProjectShape>('Project').implement({
  description: 'A TalkStack project. Other subgraphs may add fields; this one contributes `callHistory`.',
  fields: (t) => ({
    id: t.exposeID('id'),
    callHistory: t.field({
      type: CallConnection,
      description: "This project's calls, newest first, filtered and paginated.",
      args: callHistoryArgs,
      resolve: (project, args, ctx, info) => callHistory(ctx, { ...args, projectId: project.id }, selectsHasNextPage(info)),
    }),
  }),
});

builder.asEntity(Project, {
  key: builder.selection<{ id: string }>('id'),
  // A representation is client JSON, not checked against the key's type: a number still names a project.
  resolveReference: ({ id }: { id: unknown }) => {
    if (typeof id === 'number') return { id: String(id) };
    if (typeof id !== 'string') throw badInput('Each representation needs an id.', { argument: 'representations' });
    return { id };
  },
});
