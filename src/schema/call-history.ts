import { builder } from './builder.js';
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


builder.queryField('callHistory', (t) =>
  t.field({
    type: CallConnection,
    description:
      "A project's calls, newest first, filtered and paginated. Pass `pageInfo.endCursor` as `after` for the next page.",
    args: {
      projectId: t.arg.id({ required: true }),
      filter: t.arg({ type: CallFilter, required: false }),
      first: t.arg.int({ required: false, defaultValue: 20, description: 'How many calls, 1 to 1000.' }),
      after: t.arg.string({ required: false, description: 'A cursor from a previous page of the same arguments.' }),
    },
    resolve: (_root, args, ctx) => ctx.callHistory(args),
  }),
);
