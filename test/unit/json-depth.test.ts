import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonDepthGauge } from '../../src/upstream/json-depth.js';

/** The nesting depth of a parsed JSON value, counted the way the gauge counts brackets. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (value !== null && typeof value === 'object') return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

/** Feeds a text's UTF-8 bytes in chunks cut at the given points. */
function gauge(text: string, cuts: number[], limit = 1_000): { ok: boolean; maxDepth: number } {
  const bytes = Buffer.from(text, 'utf8');
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const g = new JsonDepthGauge(limit);
  let from = 0;
  let ok = true;
  for (const to of [...points, bytes.length]) {
    ok &&= g.feed(bytes.subarray(from, to));
    from = to;
  }
  return { ok, maxDepth: g.maxDepth };
}

describe('upstream/json-depth', () => {
  it('measures the depth of any JSON text, wherever the chunks are cut (strings with brackets and escapes included)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.array(fc.nat()), (value, cuts) => {
        const text = JSON.stringify(value);
        expect(gauge(text, cuts).maxDepth).toBe(depthOf(value));
      }),
      { numRuns: 500 },
    );
  });

  it('ignores brackets inside strings, escaped quotes and multi-byte characters', () => {
    expect(gauge('{"a":"[[[{{{\\"[[[","b":["é[","\\\\"],"c":{}}', [1, 7, 13, 20]).maxDepth).toBe(2);
  });

  it('stops at the first chunk that passes the limit', () => {
    const g = new JsonDepthGauge(3);
    expect(g.feed(Buffer.from('[[['))).toBe(true);
    expect(g.feed(Buffer.from(']]][[[['))).toBe(false);
    expect(g.maxDepth).toBe(4);
  });

  it('a 5,000-deep array is refused at the limit', () => {
    const deep = `{"data":[{"callSid":"CA1","nested":${'['.repeat(5_000)}${']'.repeat(5_000)}}]}`;
    expect(gauge(deep, [], 64)).toEqual({ ok: false, maxDepth: 65 });
  });
});
