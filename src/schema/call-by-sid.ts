import { callBySid } from '../calls/lookup.js';
import { builder } from './builder.js';
import { Call } from './call.js';

builder.queryField('call', (t) =>
  t.field({
    type: Call,
    nullable: true,
    description:
      'One call of a project, by its SID; null when the project has no such call. A call already read in a ' +
      '`callHistory` page of the same project in this operation is served from that page.',
    args: {
      projectId: t.arg.id({ required: true }),
      sid: t.arg.id({ required: true, description: 'The call SID (`CA` followed by 32 hex digits).' }),
    },
    resolve: (_root, args, ctx) => callBySid(ctx, args),
  }),
);

/**
 * A federation entity: other subgraphs reference a call by `projectId` and `sid` (a ticket's call, a CRM
 * record's call) and this one resolves it; equal references in one operation share one upstream request.
 * A call the upstream does not have resolves to null, with no error.
 */
builder.asEntity(Call, {
  key: builder.selection<{ projectId: string; sid: string }>('projectId sid'),
  resolveReference: (reference, ctx) => callBySid(ctx, reference),
});
