import { AppError } from '../domain/errors.js';
import type { CallEvent as CallEventValue } from '../domain/events.js';
import { callEvents } from '../events/service.js';
import { builder } from './builder.js';
import { Call, CallStatus } from './call.js';
import { CallFilter } from './filters.js';

export const CallEventKind = builder.enumType('CallEventKind', {
  values: {
    STARTED: { description: 'A call this subscription had not seen, which started after it began.' },
    UPDATED: { description: 'A call seen before whose status, duration, cost or recordings changed.' },
  } as const,
});

export const CallEvent = builder.objectRef<CallEventValue>('CallEvent').implement({
  description: 'A change of a call, as this API observed it by watching the project.',
  fields: (t) => ({
    kind: t.expose('kind', { type: CallEventKind }),
    call: t.expose('call', { type: Call, description: 'The call as it is now.' }),
    previousStatus: t.expose('previousStatus', { type: CallStatus, nullable: true, description: 'UPDATED only: the status before.' }),
    observedAt: t.expose('observedAt', { type: 'DateTime', description: 'When this API saw the change.' }),
  }),
});

builder.subscriptionType({});

builder.subscriptionField('callEvents', (t) =>
  t.field({
    type: CallEvent,
    description:
      "A project's call events from now on: STARTED for a call that starts after the subscription began, UPDATED " +
      'when a call it reported changes. The filter applies as in `callHistory`; a call that leaves it is not ' +
      'reported again. One watcher per credential and project polls the upstream, however many subscribe.',
    args: { projectId: t.arg.id({ required: true }), filter: t.arg({ type: CallFilter, required: false }) },
    subscribe: (_root, args, ctx) => callEvents(ctx, args),
    // A feed that ends for a reason yields its AppError last: it becomes this event's error.
    resolve: (item: CallEventValue | AppError) => {
      if (item instanceof AppError) throw item;
      return item;
    },
  }),
);
