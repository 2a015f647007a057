import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, listFingerprint } from '../../src/history/cursor.js';

const list = { projectId: 'p', started: {}, ended: {}, startedAt: {} };

describe('history/cursor', () => {
  it('round-trips a position for the same list', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 1000 }), (orderMs, sid, dayRank) => {
        const fp = listFingerprint(list);
        expect(decodeCursor(encodeCursor(fp, { orderMs, sid, dayRank }), fp, 1000)).toEqual({ orderMs, sid, dayRank });
      }),
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
    const cursor = encodeCursor(base, { orderMs: 1, sid: 'CA1', dayRank: 1 });
    expect(() => decodeCursor(cursor, listFingerprint({ ...list, to: '+1' }), 1000)).toThrow(/different projectId or filter/);
  });

  it('rejects damaged cursors and out-of-range positions as bad input', () => {
    const fp = listFingerprint(list);
    for (const bad of ['', 'x', encodeCursor(fp, { orderMs: 1, sid: 'CA1', dayRank: 5000 }), Buffer.from('[2]').toString('base64url')]) {
      expect(() => decodeCursor(bad, fp, 1000)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
    }
  });
});

describe('history/cursor instants', () => {
  it('refuses instants no day filter can name', () => {
    const fp = listFingerprint(list);
    for (const orderMs of [-1e20, -1, 1.5, 3e14]) {
      expect(() => decodeCursor(encodeCursor(fp, { orderMs, sid: 'CA1', dayRank: 1 }), fp, 1000)).toThrow(/not a cursor/);
    }
    expect(decodeCursor(encodeCursor(fp, { orderMs: 8.64e15, sid: 'CA1', dayRank: 1 }), fp, 1000).orderMs).toBe(8.64e15);
  });
});
