import { builder } from './builder.js';
import { CallStatus } from './call.js';

export const DayRange = builder.inputType('DayRange', {
  description: 'Whole UTC days. `before` is exclusive. Sent to the upstream as they are.',
  fields: (t) => ({
    on: t.field({ type: 'Date', required: false, description: 'Only this UTC day.' }),
    onOrAfter: t.field({ type: 'Date', required: false, description: 'From 00:00 UTC of this day on.' }),
    before: t.field({ type: 'Date', required: false, description: 'Before 00:00 UTC of this day (the day is excluded).' }),
  }),
});

export const InstantRange = builder.inputType('InstantRange', {
  description:
    'Exact instants; `before` is exclusive. The upstream only knows whole days, so the request is widened to ' +
    'the days that contain the range and the layer keeps exactly the calls inside it.',
  fields: (t) => ({
    onOrAfter: t.field({ type: 'DateTime', required: false }),
    before: t.field({ type: 'DateTime', required: false }),
  }),
});

export const CallFilter = builder.inputType('CallFilter', {
  description: 'All given conditions must hold.',
  fields: (t) => ({
    to: t.string({ required: false, description: 'The number (E.164), SIP address or client id that was called.' }),
    from: t.string({ required: false, description: 'The number, SIP address or client id that called.' }),
    status: t.field({ type: CallStatus, required: false }),
    started: t.field({ type: DayRange, required: false, description: 'Whole UTC days of the start.' }),
    ended: t.field({ type: DayRange, required: false, description: 'Whole UTC days of the end (start + duration).' }),
    startedAt: t.field({ type: InstantRange, required: false, description: 'Exact start instants.' }),
  }),
});
