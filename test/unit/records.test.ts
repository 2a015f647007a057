import { describe, expect, it } from 'vitest';
import { normaliseRecords, recordFromCallBody, recordsFromBody, type RecordWarning } from '../../src/upstream/records.js';
import { vendorRecord } from '../support/fixtures.js';

describe('upstream/records', () => {
  it.each([
    ['{data: [...]}', { message: 'ok', status: 'success', data: [1] }],
    ['a bare array', [1]],
    ['{calls: [...]}', { calls: [1] }],
  ])('accepts the envelope %s', (_name, body) => {
    expect(recordsFromBody(body)).toEqual([1]);
  });

  it.each([null, 'text', { message: 'ok' }, { data: 'x' }])('rejects %j as not a call list', (body) => {
    expect(() => recordsFromBody(body)).toThrow(/not|no call list/);
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
});
