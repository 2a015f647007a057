import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseRecords, recordFromCallBody, recordsFromBody, type RecordWarning } from '../../src/upstream/records.js';
import { vendorRecord } from '../support/fixtures.js';

describe('upstream/records', () => {
  it.each([
    ['{data: [...]}', { message: 'ok', status: 'success', data: [1] }],
    ['a bare array', [1]],
    ['{calls: [...]}', { calls: [1] }],
  ])('accepts the envelope %s', (_name, body) => {
    expect(recordsFromBody(body, 20)).toEqual([1]);
  });

  it.each([null, 'text', { message: 'ok' }, { data: 'x' }])('rejects %j as not a call list', (body) => {
    expect(() => recordsFromBody(body, 20)).toThrow(/not|no call list/);
  });

  it('refuses a list longer than the pageSize asked: the upstream never sends more', () => {
    expect(recordsFromBody([1, 2, 3], 3)).toHaveLength(3);
    expect(() => recordsFromBody({ data: [1, 2, 3, 4] }, 3)).toThrow(
      expect.objectContaining({ failure: { kind: 'bad-response', reason: 'it lists 4 records for a pageSize of 3' } }),
    );
  });

  it('normalises the vendor record', () => {
    const [call] = normaliseRecords([vendorRecord({ status: 'no-answer' })], 'p1', () => undefined);
    expect(call).toMatchObject({
      projectId: 'p1',
      sid: 'CA26e39c970fd416515799f5a165718be3',
      status: 'NO_ANSWER',
      rawStatus: 'no-answer',
      from: '+14152148508',
      to: '+12068091239',
      phoneNumber: '+12068091239',
      startedAt: new Date('2024-01-30T13:39:53Z'),
      durationSeconds: 23,
      endedAt: new Date('2024-01-30T13:40:16Z'),
      cost: 0.077,
      recordingUrls: ['https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1.mp3'],
      data: { employeeGoToWork: 'false', newDate: '' },
    });
    expect(call!.raw.partnerId).toBe('partner-id');
  });

  it('maps statuses nobody knows to UNKNOWN and keeps the raw value', () => {
    const [call] = normaliseRecords([vendorRecord({ status: 'transferred' })], 'p1', () => undefined);
    expect(call).toMatchObject({ status: 'UNKNOWN', rawStatus: 'transferred' });
  });

  it('an unparsable date, duration or URL nulls or drops that value with a warning, not the page', () => {
    const warnings: RecordWarning[] = [];
    const calls = normaliseRecords(
      [
        vendorRecord({ callSid: 'CA2', date: 'Tue, 30 Jan 2024 13:39:53 +0000' }),
        vendorRecord({ callSid: 'CA1', date: 'the day before yesterday', seconds: 'abc', recordingUrls: ['not a url', 'https://x.test/a.mp3'] }),
      ],
      'p1',
      (w) => warnings.push(w),
    );
    expect(calls[1]).toMatchObject({ startedAt: null, endedAt: null, durationSeconds: null, recordingUrls: ['https://x.test/a.mp3'] });
    // Without a date, the record keeps its place in the upstream order.
    expect(calls[1]!.orderMs).toBe(calls[0]!.orderMs);
    expect(warnings.map((w) => w.field).sort()).toEqual(['date', 'recordingUrls', 'seconds']);
  });

  it('null seconds and cost stay null; no end without a duration', () => {
    const [call] = normaliseRecords([vendorRecord({ seconds: null, cost: null, status: 'in-progress' })], 'p1', () => undefined);
    expect(call).toMatchObject({ durationSeconds: null, endedAt: null, cost: null, status: 'IN_PROGRESS' });
  });

  describe('recordFromCallBody (POST /call)', () => {
    const record = vendorRecord();
    const sid = record.callSid as string;

    it.each([
      ['the vendor envelope', { message: 'ok', status: 'success', data: record }],
      ['the bare record', record],
    ])('accepts %s', (_name, body) => {
      expect(recordFromCallBody(body, sid)).toBe(record);
    });

    it.each([
      ['null', null],
      ['a list', [record]],
      ['an envelope without a record', { message: 'ok', status: 'success' }],
      ['a record without callSid', { ...record, callSid: undefined }],
    ])('rejects %s as not a call record', (_name, body) => {
      expect(() => recordFromCallBody(body, sid)).toThrow(/upstream response unusable/);
    });

    it('rejects the record of another call: it is never served as the one asked for', () => {
      expect(() => recordFromCallBody({ data: record }, 'CA00000000000000000000000000000001')).toThrow(/another call/);
    });
  });

  describe('values out of range become null on that field; the rest of the call stays', () => {
    const one = (overrides: Record<string, unknown>) => {
      const warnings: RecordWarning[] = [];
      const [call] = normaliseRecords([vendorRecord(overrides)], 'p1', (w) => warnings.push(w));
      return { call: call!, fields: warnings.map((w) => w.field) };
    };

    it.each([3e9, 2_147_483_648, -1, -23, 1e308])('seconds %s: durationSeconds and endedAt null', (seconds) => {
      const { call, fields } = one({ seconds });
      expect(call).toMatchObject({ durationSeconds: null, endedAt: null, startedAt: new Date('2024-01-30T13:39:53Z'), cost: 0.077 });
      expect(fields).toEqual(['seconds']);
    });

    it('the largest Int is still a duration', () => {
      expect(one({ seconds: 2_147_483_647 }).call.durationSeconds).toBe(2_147_483_647);
      expect(one({ seconds: 0 }).call).toMatchObject({ durationSeconds: 0, endedAt: new Date('2024-01-30T13:39:53Z') });
    });

    it.each([
      '+275760-09-13T00:00:00Z',
      '-000001-01-01T00:00:00Z',
      '+010000-01-01T00:00:00Z',
      'Sat, 13 Sep 275760 00:00:00 +0000',
    ])('date %s, which RFC 3339 cannot write: startedAt and endedAt null', (date) => {
      const { call, fields } = one({ date });
      expect(call).toMatchObject({ startedAt: null, endedAt: null, durationSeconds: 23, sid: 'CA26e39c970fd416515799f5a165718be3' });
      expect(fields).toEqual(['date']);
    });

    it('the first and last instants RFC 3339 can write are kept; an end past 9999 is null', () => {
      expect(one({ date: '0000-01-01T00:00:00Z' }).call.startedAt?.toISOString()).toBe('0000-01-01T00:00:00.000Z');
      const last = one({ date: '9999-12-31T23:59:50Z', seconds: 20 }).call;
      expect(last.startedAt?.toISOString()).toBe('9999-12-31T23:59:50.000Z');
      expect(last).toMatchObject({ durationSeconds: 20, endedAt: null });
    });

    it.each([Infinity, -Infinity, Number.NaN, 'Infinity', '1e999'])('cost %s: null', (cost) => {
      const { call, fields } = one({ cost });
      expect(call).toMatchObject({ cost: null, durationSeconds: 23 });
      expect(fields).toEqual(['cost']);
    });

    it('keeps only http(s) recording URLs, and the rest of the list', () => {
      const { call, fields } = one({
        recordingUrls: [
          'javascript:alert(1)',
          'https://x.test/a.mp3',
          'data:text/html,<script>alert(1)</script>',
          'file:///etc/passwd',
          'ftp://x.test/b.mp3',
          'HTTP://x.test/c.mp3',
          'vbscript:msgbox',
        ],
      });
      expect(call.recordingUrls).toEqual(['https://x.test/a.mp3', 'HTTP://x.test/c.mp3']);
      expect(fields).toEqual(['recordingUrls', 'recordingUrls', 'recordingUrls', 'recordingUrls', 'recordingUrls']);
    });

    it('whatever the values, what is kept can be served: ends never before starts, Ints fit, dates print as RFC 3339', () => {
      const instant = fc.oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.integer({ min: -7e13, max: 3e14 }));
      fc.assert(
        fc.property(
          instant,
          fc.oneof(fc.double(), fc.integer(), fc.constant(null), fc.string()),
          fc.oneof(fc.double(), fc.constant(null)),
          fc.array(fc.oneof(fc.webUrl(), fc.string(), fc.constantFrom('javascript:x', 'data:,x', 'file:///x'))),
          (ms, seconds, cost, recordingUrls) => {
            const date = new Date(ms).toISOString();
            const [call] = normaliseRecords([vendorRecord({ date, seconds, cost, recordingUrls })], 'p1', () => undefined);
            const c = call!;
            if (c.startedAt) expect(c.startedAt.toISOString()).toMatch(/^\d{4}-\d\d-\d\dT/);
            if (c.endedAt) {
              expect(c.endedAt.toISOString()).toMatch(/^\d{4}-\d\d-\d\dT/);
              expect(c.endedAt.getTime()).toBeGreaterThanOrEqual(c.startedAt!.getTime());
            }
            if (c.durationSeconds !== null) expect(Number.isInteger(c.durationSeconds) && c.durationSeconds >= 0 && c.durationSeconds <= 2_147_483_647).toBe(true);
            if (c.cost !== null) expect(Number.isFinite(c.cost)).toBe(true);
            for (const url of c.recordingUrls) expect(new URL(url).protocol).toMatch(/^https?:$/);
          },
        ),
      );
    });
  });
});
