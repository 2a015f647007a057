import fc from 'fast-check';
import { GraphQLError } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { describe, expect, it } from 'vitest';
import { FIRST_NAMEABLE_MS, LAST_NAMEABLE_MS } from '../../src/domain/record.js';
import { rfc3339 } from '../../src/domain/rfc3339.js';
import { DateTime } from '../../src/schema/builder.js';

/** What a response carried before: graphql-scalars' Date, turned into text by JSON.stringify (Date#toJSON). */
const asSerialisedBefore = (value: unknown): unknown => JSON.parse(JSON.stringify({ value: DateTimeResolver.serialize(value) })).value;

describe('DateTime scalar', () => {
  it('serialises to the RFC 3339 string itself, not to a Date for JSON.stringify to convert', () => {
    expect(DateTime.serialize(new Date(Date.UTC(2026, 9, 31, 23, 59, 48)))).toBe('2026-10-31T23:59:48.000Z');
    expect(DateTime.serialize('2026-10-31T23:59:48+02:00')).toBe('2026-10-31T21:59:48.000Z');
    expect(DateTime.serialize(0)).toBe('1970-01-01T00:00:00.000Z');
  });

  it('answers, for any instant, exactly the text graphql-scalars\' DateTime put in a response', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }), (date) => {
        expect(DateTime.serialize(date)).toBe(asSerialisedBefore(date));
      }),
    );
    // As text, RFC 3339 has four-digit years only.
    fc.assert(
      fc.property(fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), (date) => {
        expect(DateTime.serialize(date.toISOString())).toBe(asSerialisedBefore(date.toISOString()));
      }),
    );
  });

  it('refuses what graphql-scalars refuses, with its message', () => {
    for (const bad of [new Date(Number.NaN), 'yesterday', true, {}]) {
      let expected: unknown;
      try {
        DateTimeResolver.serialize(bad);
      } catch (error) {
        expected = error;
      }
      expect(expected).toBeInstanceOf(GraphQLError);
      expect(() => DateTime.serialize(bad)).toThrow((expected as GraphQLError).message);
    }
  });

  it('keeps graphql-scalars\' name, description, URL and input parsing', () => {
    expect(DateTime.name).toBe(DateTimeResolver.name);
    expect(DateTime.description).toBe(DateTimeResolver.description);
    expect(DateTime.specifiedByURL).toBe(DateTimeResolver.specifiedByURL);
    expect(DateTime.parseValue('2026-10-31T23:59:48Z')).toEqual(DateTimeResolver.parseValue('2026-10-31T23:59:48Z'));
  });
});

describe('rfc3339', () => {
  it('writes every instant of years 0000 to 9999 exactly as Date#toISOString does', () => {
    fc.assert(
      fc.property(fc.integer({ min: FIRST_NAMEABLE_MS, max: LAST_NAMEABLE_MS }), (ms) => {
        expect(rfc3339(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
    for (const ms of [FIRST_NAMEABLE_MS, LAST_NAMEABLE_MS, 0, -1, 951_782_400_000 /* 2000-02-29 */, 4_107_542_399_999 /* 2100-02-28T23:59:59.999 */]) {
      expect(rfc3339(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('writes nothing for an instant RFC 3339 cannot name, or no instant at all', () => {
    for (const ms of [FIRST_NAMEABLE_MS - 1, LAST_NAMEABLE_MS + 1, 8.64e15, Number.NaN, Number.POSITIVE_INFINITY]) expect(rfc3339(ms)).toBeUndefined();
  });

  it('lets DateTime write a Date beyond year 9999 as graphql-scalars did', () => {
    const far = new Date(LAST_NAMEABLE_MS + 1);
    expect(DateTime.serialize(far)).toBe(asSerialisedBefore(far));
  });
});
