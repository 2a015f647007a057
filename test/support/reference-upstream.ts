import type { UpstreamRequest } from '../../src/domain/request.js';
import { fromWireStatus } from '../../src/domain/status.js';
import type { CallRecord } from '../../src/domain/record.js';

const DAY = 86_400_000;
const dayStart = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

/**
 * The upstream's contract over an in-memory list, written independently of the layer: the newest
 * `pageSize` calls that match the filters, start descending, SID descending on ties.
 */
export function referenceList(records: readonly CallRecord[], filters: UpstreamRequest['filters']): CallRecord[] {
  const f = Object.fromEntries(filters);
  return records
    .filter((r) => {
      const start = r.startedAt!.getTime();
      const end = r.endedAt?.getTime();
      if (f.to !== undefined && r.to !== f.to) return false;
      if (f.from !== undefined && r.from !== f.from) return false;
      if (f.status !== undefined && r.rawStatus !== f.status) return false;
      if (f.startTime !== undefined && !(start >= dayStart(f.startTime) && start < dayStart(f.startTime) + DAY)) return false;
      if (f.startTimeAfter !== undefined && !(start >= dayStart(f.startTimeAfter))) return false;
      if (f.startTimeBefore !== undefined && !(start < dayStart(f.startTimeBefore))) return false;
      if (f.endTime !== undefined && !(end !== undefined && end >= dayStart(f.endTime) && end < dayStart(f.endTime) + DAY)) return false;
      if (f.endTimeAfter !== undefined && !(end !== undefined && end >= dayStart(f.endTimeAfter))) return false;
      if (f.endTimeBefore !== undefined && !(end !== undefined && end < dayStart(f.endTimeBefore))) return false;
      return true;
    })
    .sort((a, b) => b.startedAt!.getTime() - a.startedAt!.getTime() || (a.sid < b.sid ? 1 : a.sid > b.sid ? -1 : 0));
}

export interface CountingUpstream {
  fetch: (request: UpstreamRequest) => Promise<CallRecord[]>;
  requests: UpstreamRequest[];
  rowsServed: () => number;
}

export function referenceUpstream(records: CallRecord[]): CountingUpstream {
  const requests: UpstreamRequest[] = [];
  let rows = 0;
  return {
    requests,
    rowsServed: () => rows,
    fetch: async (request) => {
      requests.push(request);
      const page = referenceList(records, request.filters).slice(0, request.pageSize);
      rows += page.length;
      return page;
    },
  };
}

let counter = 0;
/** A normalised call record starting at `startMs`. */
export function call(startMs: number, overrides: Partial<CallRecord> = {}): CallRecord {
  const sid = overrides.sid ?? `CA${(counter++).toString(16).padStart(32, '0')}`;
  const seconds = overrides.durationSeconds === undefined ? 60 : overrides.durationSeconds;
  const status = overrides.rawStatus ?? 'completed';
  return {
    projectId: 'p',
    sid,
    status: fromWireStatus(status),
    rawStatus: status,
    from: '+14155550100',
    to: '+14155550199',
    phoneNumber: '+14155550199',
    startedAt: new Date(startMs),
    durationSeconds: seconds,
    endedAt: seconds === null ? null : new Date(startMs + seconds * 1000),
    cost: 0.01,
    recordingUrls: [],
    data: null,
    raw: {},
    orderMs: startMs,
    ...overrides,
  };
}
