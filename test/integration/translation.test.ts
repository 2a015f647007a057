import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CallHistoryPage } from '../support/operations.js';
import { success, vendorRecord } from '../support/fixtures.js';

// One test per row of the README's translation table: the exact REST request each argument produces.
describe('translation of callHistory arguments into the REST request', () => {
  let upstream: RecordingUpstream;
  let api: TestApp;

  beforeAll(async () => {
    upstream = await startRecordingUpstream(() => success([vendorRecord()]));
    api = await startTestApp(upstream.url);
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });

  const only = () => {
    expect(upstream.requests).toHaveLength(1);
    return upstream.requests[0]!;
  };

  it('projectId goes into the JSON body of a POST to /call/get-call-history', async () => {
    const result = await api.execute(CallHistoryPage, { projectId: 'proj-123' });
    expect(result.errors).toBeUndefined();
    const sent = only();
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/call/get-call-history');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.body).toEqual({ projectId: 'proj-123', pageSize: 21 });
    expect(sent.rawQuery).toBe('');
  });

  it('first becomes pageSize first + 1, to learn hasNextPage', async () => {
    await api.execute(CallHistoryPage, { projectId: 'p', first: 5 });
    expect(only().body).toEqual({ projectId: 'p', pageSize: 6 });
  });

  it('pageSize never exceeds UPSTREAM_MAX_PAGE_SIZE', async () => {
    const capped = await startTestApp(upstream.url, { UPSTREAM_MAX_PAGE_SIZE: '50' });
    try {
      await capped.execute(CallHistoryPage, { projectId: 'p', first: 100 });
      expect(only().body).toEqual({ projectId: 'p', pageSize: 50 });
    } finally {
      await capped.close();
    }
  });

  it('first: 1000 asks for the cap of 1000, not 1001', async () => {
    await api.execute(CallHistoryPage, { projectId: 'p', first: 1000 });
    expect(only().body).toEqual({ projectId: 'p', pageSize: 1000 });
  });

  it('filter.to and filter.from become the query parameters to and from, encoded', async () => {
    await api.execute(CallHistoryPage, { projectId: 'p', filter: { to: '+14155550100', from: 'sip:agent@example.com' } });
    const sent = only();
    expect(sent.query).toEqual({ to: '+14155550100', from: 'sip:agent@example.com' });
    expect(sent.rawQuery).toContain('to=%2B14155550100');
  });

  it.each([
    ['QUEUED', 'queued'],
    ['INITIATED', 'initiated'],
    ['RINGING', 'ringing'],
    ['IN_PROGRESS', 'in-progress'],
    ['COMPLETED', 'completed'],
    ['BUSY', 'busy'],
    ['FAILED', 'failed'],
    ['NO_ANSWER', 'no-answer'],
  ] as const)('filter.status %s is sent as status=%s', async (status, wire) => {
    await api.execute(CallHistoryPage, { projectId: 'p', filter: { status } });
    expect(only().query).toEqual({ status: wire });
  });

  it.each(['CANCELED', 'VOICEMAIL', 'SILENCE'] as const)(
    'filter.status %s, which the upstream cannot filter, is filtered by the layer',
    async (status) => {
      upstream.respondWith(() =>
        success([
          vendorRecord({ callSid: 'CA2', status: status.toLowerCase() }),
          vendorRecord({ callSid: 'CA1', status: 'completed' }),
        ]),
      );
      try {
        const result = await api.execute(CallHistoryPage, { projectId: 'p', filter: { status } });
        expect(upstream.requests[0]!.query).toEqual({});
        expect(result.data?.callHistory.edges.map((e) => e.node.sid)).toEqual(['CA2']);
      } finally {
        upstream.respondWith(() => success([vendorRecord()]));
      }
    },
  );

  it('filter.started.on / onOrAfter / before become startTime / startTimeAfter / startTimeBefore', async () => {
    await api.execute(CallHistoryPage, {
      projectId: 'p',
      filter: { started: { on: '2024-01-30', onOrAfter: '2024-01-01', before: '2024-02-01' } },
    });
    expect(only().query).toEqual({ startTime: '2024-01-30', startTimeAfter: '2024-01-01', startTimeBefore: '2024-02-01' });
  });

  it('filter.ended.on / onOrAfter / before become endTime / endTimeAfter / endTimeBefore', async () => {
    await api.execute(CallHistoryPage, {
      projectId: 'p',
      filter: { ended: { on: '2024-01-30', onOrAfter: '2024-01-01', before: '2024-02-01' } },
    });
    expect(only().query).toEqual({ endTime: '2024-01-30', endTimeAfter: '2024-01-01', endTimeBefore: '2024-02-01' });
  });

  it('filter.startedAt is widened to the whole days that contain it', async () => {
    await api.execute(CallHistoryPage, {
      projectId: 'p',
      filter: { startedAt: { onOrAfter: '2024-01-30T13:00:00Z', before: '2024-02-02T00:00:01Z' } },
    });
    expect(only().query).toEqual({ startTimeAfter: '2024-01-30', startTimeBefore: '2024-02-03' });
  });

  it('a startedAt bound at midnight UTC needs no extra day; offsets are converted to UTC', async () => {
    await api.execute(CallHistoryPage, {
      projectId: 'p',
      filter: { startedAt: { onOrAfter: '2024-01-30T01:00:00+02:00', before: '2024-02-02T00:00:00Z' } },
    });
    expect(only().query).toEqual({ startTimeAfter: '2024-01-29', startTimeBefore: '2024-02-02' });
  });

  it('filter.startedAt is intersected with filter.started', async () => {
    await api.execute(CallHistoryPage, {
      projectId: 'p',
      filter: {
        started: { onOrAfter: '2024-01-31', before: '2024-03-01' },
        startedAt: { onOrAfter: '2024-01-30T13:00:00Z', before: '2024-02-02T12:00:00Z' },
      },
    });
    expect(only().query).toEqual({ startTimeAfter: '2024-01-31', startTimeBefore: '2024-02-03' });
  });

  it('an empty intersection answers an empty page without asking the upstream', async () => {
    const result = await api.execute(CallHistoryPage, {
      projectId: 'p',
      filter: { started: { before: '2024-01-01' }, startedAt: { onOrAfter: '2024-02-01T00:00:00Z' } },
    });
    expect(result.data?.callHistory).toMatchObject({ edges: [], pageInfo: { hasNextPage: false } });
    expect(upstream.requests).toHaveLength(0);
  });

  it("the caller's x-api-key is forwarded, and no other header of the caller's", async () => {
    await api.execute(
      CallHistoryPage,
      { projectId: 'p' },
      { 'x-api-key': 'key-abc', cookie: 'session=1', 'x-custom': 'nope', 'x-forwarded-for': '10.0.0.1' },
    );
    const headers = only().headers;
    expect(headers['x-api-key']).toBe('key-abc');
    expect(headers.authorization).toBeUndefined();
    expect(headers.cookie).toBeUndefined();
    expect(headers['x-custom']).toBeUndefined();
    expect(headers['x-forwarded-for']).toBeUndefined();
  });

  it("the caller's Authorization is forwarded as it came", async () => {
    await api.execute(CallHistoryPage, { projectId: 'p' }, { authorization: 'Bearer token-xyz' });
    const headers = only().headers;
    expect(headers.authorization).toBe('Bearer token-xyz');
    expect(headers['x-api-key']).toBeUndefined();
  });

  it('a base URL with a path prefix keeps it', async () => {
    const prefixed = await startTestApp(`${upstream.url}/v1/`);
    try {
      await prefixed.execute(CallHistoryPage, { projectId: 'p' });
      expect(only().path).toBe('/v1/call/get-call-history');
    } finally {
      await prefixed.close();
    }
  });
});
