import { describe, expect, it } from 'vitest';
import { listFingerprint } from '../../src/history/cursor.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { CallSids, CallHistoryPage } from '../support/operations.js';
import { recordingStacks } from '../support/recording-stack.js';

const SECRET = 'a shared cursor secret, 32 characters or more';
const twoCalls = () =>
  success([
    vendorRecord({ callSid: 'CA2', date: 'Tue, 30 Jan 2024 13:39:53 +0000' }),
    vendorRecord({ callSid: 'CA1', date: 'Mon, 29 Jan 2024 10:00:00 +0000' }),
  ]);

describe('cursors are signed', () => {
  const stack = recordingStacks();

  it('a position forged in the unsigned format is refused with BAD_USER_INPUT, and the upstream is not asked', async () => {
    const { upstream, api } = await stack();
    const fingerprint = listFingerprint({ projectId: 'p', started: {}, ended: {}, startedAt: {} });
    const forged = Buffer.from(JSON.stringify([1, fingerprint, 0, 'CA1', 1])).toString('base64url');
    const result = await api.execute(CallSids, { projectId: 'p', first: 1, after: forged });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    expect(upstream.requests).toHaveLength(0);
  });

  it('an issued cursor with its position altered is refused, naming CURSOR_SECRET', async () => {
    const { upstream, api } = await stack();
    upstream.respondWith(twoCalls);
    const first = await api.execute(CallHistoryPage, { projectId: 'p', first: 1 });
    const cursor = first.data!.callHistory.pageInfo.endCursor!;
    const [payload, signature] = cursor.split('.');
    const position = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as unknown[];
    position[2] = 0;
    const altered = `${Buffer.from(JSON.stringify(position)).toString('base64url')}.${signature}`;
    upstream.requests.length = 0;
    const result = await api.execute(CallSids, { projectId: 'p', first: 1, after: altered });
    expect(result.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', argument: 'after' },
      message: expect.stringMatching(/not a cursor this server signed.*CURSOR_SECRET/),
    });
    expect(upstream.requests).toHaveLength(0);
  });

  it('replicas sharing CURSOR_SECRET take each other’s cursors; without it, each process refuses the other’s', async () => {
    const a = await stack({ CURSOR_SECRET: SECRET });
    const b = await stack({ CURSOR_SECRET: SECRET });
    const lone = await stack();
    for (const { upstream } of [a, b, lone]) upstream.respondWith(twoCalls);

    const page = await a.api.execute(CallSids, { projectId: 'p', first: 1 });
    const after = page.data!.callHistory.pageInfo.endCursor;
    const next = await b.api.execute(CallSids, { projectId: 'p', first: 1, after });
    expect(next.errors).toBeUndefined();
    expect(next.data!.callHistory.nodes.map((n) => n.sid)).toEqual(['CA1']);

    const refused = await lone.api.execute(CallSids, { projectId: 'p', first: 1, after });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('CURSOR_SECRET is never logged', async () => {
    const { api } = await stack({ CURSOR_SECRET: SECRET });
    await api.execute(CallSids, { projectId: 'p', first: 1 });
    expect(api.logs.join('\n')).not.toContain(SECRET);
  });
});

describe('day bounds stay within what YYYY-MM-DD can name', () => {
  const stack = recordingStacks();

  it('startedAt.before late on 9999-12-31: no upper day bound is sent, and the caller is not blamed', async () => {
    const { upstream, api } = await stack();
    const result = await api.execute(CallSids, { projectId: 'p', filter: { startedAt: { before: '9999-12-31T00:00:01Z' } } });
    expect(result.errors).toBeUndefined();
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.query).not.toHaveProperty('startTimeBefore');
    for (const value of Object.values(upstream.requests[0]!.query)) expect(value).not.toMatch(/^[+-]\d{6}/);
  });

  it('startedAt.onOrAfter on 0000-01-01 is sent as that day', async () => {
    const { upstream, api } = await stack();
    const result = await api.execute(CallSids, { projectId: 'p', filter: { startedAt: { onOrAfter: '0000-01-01T00:00:00Z' } } });
    expect(result.errors).toBeUndefined();
    expect(upstream.requests[0]!.query.startTimeAfter).toBe('0000-01-01');
  });
});
