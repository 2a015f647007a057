/** GraphQL enum values and the upstream's wire values. */
export const CALL_STATUSES = [
  'QUEUED',
  'INITIATED',
  'RINGING',
  'IN_PROGRESS',
  'COMPLETED',
  'BUSY',
  'FAILED',
  'NO_ANSWER',
  'CANCELED',
  'VOICEMAIL',
  'SILENCE',
  'UNKNOWN',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** The statuses the upstream accepts as a `status` filter; the others exist only on records. */
const FILTERABLE = new Set<CallStatus>(['QUEUED', 'INITIATED', 'RINGING', 'IN_PROGRESS', 'COMPLETED', 'BUSY', 'FAILED', 'NO_ANSWER']);

export const isUpstreamFilterable = (status: CallStatus): boolean => FILTERABLE.has(status);

export const toWireStatus = (status: CallStatus): string => status.toLowerCase().replace('_', '-');

const FROM_WIRE = new Map<string, CallStatus>(
  CALL_STATUSES.filter((s) => s !== 'UNKNOWN').map((s) => [toWireStatus(s), s]),
);

/** Unknown or missing wire values become UNKNOWN; `rawStatus` keeps what was sent. */
export const fromWireStatus = (wire: unknown): CallStatus =>
  (typeof wire === 'string' && FROM_WIRE.get(wire)) || 'UNKNOWN';
