import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ListIdentity } from '../../src/history/query.js';
import { needsRecordFilter, parseCallHistoryArgs, upstreamFilters } from '../../src/history/translate.js';

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
const list = (overrides: Partial<ListIdentity> = {}): ListIdentity => ({
  projectId: 'p',
  started: {},
  ended: {},
  startedAt: {},
  ...overrides,
});

describe('history/translate', () => {
  it('orders filters canonically whatever the input order', () => {
    expect(
      upstreamFilters(list({ ended: { before: day('2024-02-01') }, to: '+1', status: 'NO_ANSWER', from: '+2' })),
    ).toEqual([
      ['to', '+1'],
      ['from', '+2'],
      ['status', 'no-answer'],
      ['endTimeBefore', '2024-02-01'],
    ]);
  });

  it('widens exact instants to the days that contain them', () => {
    const filters = upstreamFilters(
      list({ startedAt: { onOrAfter: Date.parse('2024-01-30T23:59:59.999Z'), before: Date.parse('2024-01-31T00:00:00.001Z') } }),
    );
    expect(filters).toEqual([
      ['startTimeAfter', '2024-01-30'],
      ['startTimeBefore', '2024-02-01'],
    ]);
  });

  it('intersects the keyset bound, startedAt and started', () => {
    const filters = upstreamFilters(
      list({ started: { before: day('2024-03-01') }, startedAt: { before: Date.parse('2024-02-10T12:00:00Z') } }),
      day('2024-02-05'),
    );
    expect(filters).toEqual([['startTimeBefore', '2024-02-05']]);
  });

  it('returns null for windows that cannot hold a call', () => {
    expect(upstreamFilters(list({ started: { onOrAfter: day('2024-02-01') } }), day('2024-02-01'))).toBeNull();
    expect(upstreamFilters(list({ started: { on: day('2024-02-01'), before: day('2024-02-01') } }))).toBeNull();
    expect(upstreamFilters(list({ started: { on: day('2024-01-01'), onOrAfter: day('2024-02-01') } }))).toBeNull();
  });

  it('keeps started.on and a keyset bound together when they overlap', () => {
    expect(upstreamFilters(list({ started: { on: day('2024-02-01') } }), day('2024-02-02'))).toEqual([
      ['startTime', '2024-02-01'],
      ['startTimeBefore', '2024-02-02'],
    ]);
  });

  it('filters in the layer only for exact instants and statuses the upstream cannot filter', () => {
    expect(needsRecordFilter(list())).toBe(false);
    expect(needsRecordFilter(list({ status: 'COMPLETED' }))).toBe(false);
    expect(needsRecordFilter(list({ status: 'VOICEMAIL' }))).toBe(true);
    expect(needsRecordFilter(list({ startedAt: { before: 1 } }))).toBe(true);
    expect(upstreamFilters(list({ status: 'VOICEMAIL' }))).toEqual([]);
  });

  it('parses GraphQL arguments into a query, defaulting first to 20', () => {
    expect(
      parseCallHistoryArgs({
        projectId: 'p',
        filter: { started: { on: new Date('2024-02-01T00:00:00Z') }, startedAt: { before: new Date('2024-02-01T10:00:00Z') } },
      }),
    ).toEqual({
      projectId: 'p',
      first: 20,
      started: { on: day('2024-02-01') },
      ended: {},
      startedAt: { before: Date.parse('2024-02-01T10:00:00Z') },
    });
  });

  describe('day bounds stay within what YYYY-MM-DD can name (0000-01-01 to 9999-12-31)', () => {
    it('an instant late on 9999-12-31, or a cursor on that day, sends no upper bound instead of +010000-01-01', () => {
      expect(upstreamFilters(list({ startedAt: { before: Date.parse('9999-12-31T00:00:01Z') } }))).toEqual([]);
      expect(upstreamFilters(list(), day('9999-12-31') + 1)).toEqual([]);
      expect(upstreamFilters(list({ startedAt: { before: Date.parse('9999-12-31T00:00:00Z') } }))).toEqual([['startTimeBefore', '9999-12-31']]);
    });

    it('pre-1970 and year-0000 days are written as YYYY-MM-DD', () => {
      expect(upstreamFilters(list({ startedAt: { onOrAfter: Date.parse('0000-01-01T00:00:00Z') } }))).toEqual([['startTimeAfter', '0000-01-01']]);
      expect(upstreamFilters(list(), day('1969-07-20') + 1)).toEqual([['startTimeBefore', '1969-07-21']]);
    });

    it('whatever the instants, every day sent is YYYY-MM-DD', () => {
      const instant = fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 });
      fc.assert(
        fc.property(fc.option(instant, { nil: undefined }), fc.option(instant, { nil: undefined }), (onOrAfter, before) => {
          fc.pre(onOrAfter === undefined || before === undefined || before > onOrAfter);
          const startedAt = { ...(onOrAfter === undefined ? {} : { onOrAfter }), ...(before === undefined ? {} : { before }) };
          for (const [, value] of upstreamFilters(list({ startedAt })) ?? []) expect(value).toMatch(/^\d{4}-\d\d-\d\d$/);
        }),
      );
    });
  });
});
