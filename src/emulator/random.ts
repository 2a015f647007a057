/** A small seeded PRNG (mulberry32): same seed, same sequence, on every platform. */
export type Random = () => number;

export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, to mix strings (a project id) into a numeric seed. */
export function hashString(value: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let index = 0; index < value.length; index++) {
    hash ^= value.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function randomInt(random: Random, min: number, maxInclusive: number): number {
  return min + Math.floor(random() * (maxInclusive - min + 1));
}

export function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new RangeError('pick() needs a non-empty list');
  return item;
}

/** Picks a key with probability proportional to its weight. */
export function pickWeighted<T extends string>(random: Random, weights: Readonly<Record<T, number>>): T {
  const entries = Object.entries(weights) as [T, number][];
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let threshold = random() * total;
  for (const [key, weight] of entries) {
    threshold -= weight;
    if (threshold < 0) return key;
  }
  const last = entries[entries.length - 1];
  if (last === undefined) throw new RangeError('pickWeighted() needs at least one weight');
  return last[0];
}

export function randomHex(random: Random, length: number): string {
  let hex = '';
  while (hex.length < length) {
    hex += Math.floor(random() * 0x10000).toString(16).padStart(4, '0');
  }
  return hex.slice(0, length);
}
