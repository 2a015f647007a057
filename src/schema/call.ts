import type { CallRecord } from '../domain/record.js';
import { CALL_STATUSES, type CallStatus as CallStatusValue, toWireStatus } from '../domain/status.js';
import { builder } from './builder.js';

const STATUS_DESCRIPTIONS: Record<CallStatusValue, string> = {
  QUEUED: 'Waiting to be dialled (`queued`).',
  INITIATED: 'Dialling has started (`initiated`).',
  RINGING: 'The callee is ringing (`ringing`).',
  IN_PROGRESS: 'Answered and ongoing (`in-progress`).',
  COMPLETED: 'Answered and ended normally (`completed`).',
  BUSY: 'The callee was busy (`busy`).',
  FAILED: 'The call could not be placed (`failed`).',
  NO_ANSWER: 'Nobody answered (`no-answer`).',
  CANCELED: 'Cancelled before it was answered (`canceled`). Filtering by it is done by this layer, not upstream.',
  VOICEMAIL: 'Reached voicemail (`voicemail`). Filtering by it is done by this layer, not upstream.',
  SILENCE: 'Closed after silence (`silence`). Filtering by it is done by this layer, not upstream.',
  UNKNOWN: 'A status this API does not know yet; see `rawStatus`. Output only: not accepted as a filter.',
};

export const CallStatus = builder.enumType('CallStatus', {
  description: 'The state of a call. The upstream wire value is in the description and in `Call.rawStatus`.',
  values: Object.fromEntries(
    CALL_STATUSES.map((status) => [status, { value: status, description: STATUS_DESCRIPTIONS[status] }]),
  ) as Record<CallStatusValue, { value: CallStatusValue; description: string }>,
});

export const Call = builder.objectRef<CallRecord>('Call').implement({
  description: 'One call, as the upstream lists it. A federation entity, keyed by `projectId` and `sid`.',
  fields: (t) => ({
    projectId: t.exposeID('projectId', { description: 'The project the call was read under.' }),
    sid: t.exposeID('sid', { description: 'The call SID (`CA` followed by 32 hex digits).' }),
    status: t.expose('status', { type: CallStatus }),
    rawStatus: t.exposeString('rawStatus', {
      description: `The upstream value, e.g. "${toWireStatus('NO_ANSWER')}", or one this API does not know.`,
    }),
    from: t.exposeString('from', { nullable: true }),
    to: t.exposeString('to', { nullable: true }),
    phoneNumber: t.exposeString('phoneNumber', { nullable: true }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true, description: 'When the call started (`date`).' }),
    durationSeconds: t.exposeInt('durationSeconds', { nullable: true, description: 'The duration (`seconds`).' }),
    endedAt: t.expose('endedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'startedAt + durationSeconds, when both are known.',
    }),
    cost: t.exposeFloat('cost', { nullable: true, description: 'What the call cost, in USD.' }),
    recordingUrls: t.expose('recordingUrls', { type: ['URL'] }),
    data: t.expose('data', { type: 'JSONObject', nullable: true, description: "The record's `data` object." }),
    raw: t.expose('raw', { type: 'JSONObject', description: 'The record as received, for fields not modelled yet.' }),
  }),
});
