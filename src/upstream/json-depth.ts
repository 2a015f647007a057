/**
 * Whether a parsed JSON value nests arrays and objects deeper than `limit` (the top-level value's brackets count
 * as 1, an empty array or object counts as a level). V8 parses any depth without recursing, but serialising such
 * a value again overflows the stack, so a body is checked once, right after it is parsed.
 *
 * The walk keeps its own stack instead of recursing, stops at the first value past the limit, and visits only
 * arrays and objects: strings and numbers, most of a page, cost nothing.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const pending: object[] = [value];
  const depths: number[] = [1];
  while (pending.length > 0) {
    const node = pending.pop()!;
    const depth = depths.pop()!;
    if (depth > limit) return true;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i];
        if (child !== null && typeof child === 'object') {
          pending.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in node) {
        const child: unknown = (node as Record<string, unknown>)[key];
        if (child !== null && typeof child === 'object') {
          pending.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}
