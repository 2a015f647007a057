import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from '../../src/upstream/json-depth.js';

/** The nesting depth of a parsed JSON value, the top-level value's brackets counting as 1 (recursive: small values only). */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (value !== null && typeof value === 'object') return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

describe('upstream/json-depth', () => {
  it('refuses exactly the values nested deeper than the limit, whatever their shape', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 12 }), (value, limit) => {
        const parsed: unknown = JSON.parse(JSON.stringify(value));
        expect(nestsDeeperThan(parsed, limit)).toBe(depthOf(parsed) > limit);
      }),
      { numRuns: 1_000 },
    );
  });

  it('counts empty arrays and objects as levels, and scalars as none', () => {
    expect(nestsDeeperThan(JSON.parse('{"a":[{}]}'), 2)).toBe(true);
    expect(nestsDeeperThan(JSON.parse('{"a":[{}]}'), 3)).toBe(false);
    expect(nestsDeeperThan(JSON.parse('"[[[[{{{{"'), 0)).toBe(false);
    expect(nestsDeeperThan(null, 0)).toBe(false);
    expect(nestsDeeperThan([], 0)).toBe(true);
  });

  it('reads a key named __proto__ as data, like any other key', () => {
    expect(nestsDeeperThan(JSON.parse('{"__proto__":{"a":[[]]}}'), 3)).toBe(true);
  });

  it('a body nested a million levels deep parses, and is refused without overflowing the stack', () => {
    const deep: unknown = JSON.parse(`{"data":[{"callSid":"CA1","nested":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}]}`);
    expect(nestsDeeperThan(deep, 64)).toBe(true);
    expect(nestsDeeperThan(deep, 1_000_003)).toBe(false);
  });
});
