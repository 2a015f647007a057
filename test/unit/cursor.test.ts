import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cursorKey, decodeCursor, encodeCursor, listFingerprint } from '../../src/history/cursor.js';
import { callHistory } from '../../src/history/service.js';
import { call, referenceUpstream } from '../support/reference-upstream.js';

const list = { projectId: 'p', started: {}, ended: {}, startedAt: {} };
const key = cursorKey(undefined);

describe('history/cursor', () => {
  it('round-trips a position for the same list, pre-1970 instants and the last nameable one included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 1000 }),
        (orderMs, sid, dayRank) => {
          const fp = listFingerprint(list);
          expect(decodeCursor(key, encodeCursor(key, fp, { orderMs, sid, dayRank }), fp, 1000)).toEqual({ orderMs, sid, dayRank });
        },
      ),
    );
  });

  it('binds the cursor to projectId and every filter', () => {
    const base = listFingerprint(list);
    expect(listFingerprint({ ...list, projectId: 'q' })).not.toBe(base);
    expect(listFingerprint({ ...list, to: '+1' })).not.toBe(base);
    expect(listFingerprint({ ...list, status: 'BUSY' })).not.toBe(base);
    expect(listFingerprint({ ...list, started: { on: 1 } })).not.toBe(base);
    expect(listFingerprint({ ...list, ended: { before: 1 } })).not.toBe(base);
    expect(listFingerprint({ ...list, startedAt: { onOrAfter: 1 } })).not.toBe(base);
    const cursor = encodeCursor(key, base, { orderMs: 1, sid: 'CA1', dayRank: 1 });
    expect(() => decodeCursor(key, cursor, listFingerprint({ ...list, to: '+1' }), 1000)).toThrow(/different projectId or filter/);
  });

  it('rejects damaged cursors and out-of-range positions as bad input', () => {
    const fp = listFingerprint(list);
    for (const bad of ['', 'x', 'x.y', encodeCursor(key, fp, { orderMs: 1, sid: 'CA1', dayRank: 5000 }), Buffer.from('[2]').toString('base64url')]) {
      expect(() => decodeCursor(key, bad, fp, 1000)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
    }
  });

  it('refuses a cursor over 1 024 characters without verifying it, naming the bound', () => {
    expect(() => decodeCursor(key, `${'a'.repeat(1_024)}.x`, listFingerprint(list), 1000)).toThrow(/longer than 1024 characters/);
  });

  it('refuses a position it did not sign: an unsigned cursor, an altered one, one signed with another key', () => {
    const fp = listFingerprint(list);
    const cursor = encodeCursor(key, fp, { orderMs: 1_700_000_000_000, sid: 'CA1', dayRank: 1 });
    const [, signature] = cursor.split('.');
    const forged = Buffer.from(JSON.stringify([2, fp, 1_600_000_000_000, 'CA1', 1])).toString('base64url');
    const unsignedV1 = Buffer.from(JSON.stringify([1, fp, 1_700_000_000_000, 'CA1', 1])).toString('base64url');
    const otherKey = encodeCursor(cursorKey('another secret of at least thirty-two characters'), fp, { orderMs: 1, sid: 'CA1', dayRank: 1 });
    for (const bad of [`${forged}.${signature}`, otherKey]) {
      expect(() => decodeCursor(key, bad, fp, 1000)).toThrow(/not a cursor this server signed.*CURSOR_SECRET/);
    }
    expect(() => decodeCursor(key, unsignedV1, fp, 1000)).toThrow(/not a cursor this API issued/);
    // Every single-character change of a signed cursor is refused.
    fc.assert(
      fc.property(fc.nat({ max: cursor.length - 1 }), fc.constantFrom(...'ABCDEFabcdef0123456789-_'), (at, c) => {
        fc.pre(cursor[at] !== c && cursor[at] !== '.');
        const altered = `${cursor.slice(0, at)}${c}${cursor.slice(at + 1)}`;
        expect(() => decodeCursor(key, altered, fp, 1000)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
      }),
    );
  });

  it('one CURSOR_SECRET signs alike in every process', () => {
    const secret = 'a shared secret of at least thirty-two characters';
    const fp = listFingerprint(list);
    const position = { orderMs: 1, sid: 'CA1', dayRank: 1 };
    expect(decodeCursor(cursorKey(secret), encodeCursor(cursorKey(secret), fp, position), fp, 1000)).toEqual(position);
  });
});

describe('history/cursor instants', () => {
  it('refuses instants no day filter can name', () => {
    const fp = listFingerprint(list);
    for (const orderMs of [-1e20, -62_167_219_200_001, 1.5, 3e14]) {
      expect(() => decodeCursor(key, encodeCursor(key, fp, { orderMs, sid: 'CA1', dayRank: 1 }), fp, 1000)).toThrow(/not a cursor/);
    }
    expect(decodeCursor(key, encodeCursor(key, fp, { orderMs: 8.64e15, sid: 'CA1', dayRank: 1 }), fp, 1000).orderMs).toBe(8.64e15);
  });

  it('a walk through calls made before 1970 reaches every one of them', async () => {
    const records = [
      call(Date.parse('1969-12-31T23:00:00Z')),
      call(Date.parse('1969-07-20T20:17:40Z')),
      call(Date.parse('1969-07-20T02:56:15Z')),
      call(Date.parse('1900-01-01T00:00:00Z')),
      call(Date.parse('0001-01-01T00:00:00Z')),
    ];
    const upstream = referenceUpstream(records);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const connection = await callHistory({ records: { fetch: upstream.fetch, call: async () => null, maxPageSize: 1000 }, cursorKey: key }, { projectId: 'p', first: 2, after });
      seen.push(...connection.edges.map((edge) => edge.node.sid));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual(records.map((r) => r.sid));
  });
});

describe('callHistory: the connection it returns', () => {
  const records = [call(Date.parse('2024-03-02T10:00:00Z')), call(Date.parse('2024-03-02T09:00:00Z')), call(Date.parse('2024-03-01T09:00:00Z'))];
  const context = () => ({ records: { fetch: referenceUpstream(records).fetch, call: async () => null, maxPageSize: 1000 }, cursorKey: key });

  it('reads its cursors and hasNextPage lazily, and refuses hasNextPage when it was not worked out', async () => {
    const worked = await callHistory(context(), { projectId: 'p', first: 2 });
    expect(worked.pageInfo.hasNextPage).toBe(true);
    expect(worked.pageInfo.hasPreviousPage).toBe(false);
    expect(worked.pageInfo.startCursor).toBe(worked.edges[0]!.cursor);
    expect(worked.pageInfo.endCursor).toBe(worked.edges[1]!.cursor);
    const unasked = await callHistory(context(), { projectId: 'p', first: 2 }, false);
    expect(() => unasked.pageInfo.hasNextPage).toThrow(/fetched without it/);
    const empty = await callHistory({ ...context(), records: { ...context().records, fetch: async () => [] } }, { projectId: 'p', first: 2 });
    expect([empty.pageInfo.startCursor, empty.pageInfo.endCursor, empty.pageInfo.hasNextPage]).toEqual([null, null, false]);
  });

  it('keeps the page info’s accessors on one shared prototype, not as own getters made per request', async () => {
    // Own getters are new closures per request: each page info would get a hidden class of its own, made in the
    // old generation, and keep the request's records alive through every minor GC.
    const [a, b] = await Promise.all([callHistory(context(), { projectId: 'p', first: 1 }), callHistory(context(), { projectId: 'p', first: 2 })]);
    expect(Object.getPrototypeOf(a.pageInfo)).toBe(Object.getPrototypeOf(b.pageInfo));
    for (const name of ['hasNextPage', 'startCursor', 'endCursor']) {
      expect(Object.getOwnPropertyDescriptor(a.pageInfo, name)).toBeUndefined();
      expect(typeof Object.getOwnPropertyDescriptor(Object.getPrototypeOf(a.pageInfo), name)?.get).toBe('function');
    }
  });
});
