import { callHistory } from '../history/service.js';
import { builder } from './builder.js';
import { selectsHasNextPage } from './selection.js';
import { Call } from './call.js';
import { CallFilter } from './filters.js';

export const CallConnection = builder.connectionObject(
  {
    type: Call,
    name: 'CallConnection',
    description: 'A page of calls, newest first (Relay connection).',
  },
  { name: 'CallEdge' },
);

/** The arguments of every `callHistory` field but the project: declared once, for `Query` and `Project`. */
export const callHistoryArgs = builder.args((t) => ({
  filter: t.field({ type: CallFilter, required: false }),
  first: t.int({ required: false, defaultValue: 20, description: 'How many calls, 1 to 1000.' }),
  after: t.string({ required: false, description: 'A cursor from a previous page of the same arguments.' }),
}));

builder.queryField('callHistory', (t) =>
  t.field({
    type: CallConnection,
    description:
      "A project's calls, newest first, filtered and paginated. Pass `pageInfo.endCursor` as `after` for the next page.",
    args: { projectId: t.arg.id({ required: true }), ...callHistoryArgs },
    resolve: (_root, args, ctx, info) => callHistory(ctx, args, selectsHasNextPage(info)),
  }),
);
