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

/** Returns a picker that chooses a key with probability proportional to its weight. */
export function weightedPicker<T extends string>(weights: Readonly<Record<T, number>>): (random: Random) => T {
  const keys = Object.keys(weights) as T[];
  if (keys.length === 0) throw new RangeError('weightedPicker() needs at least one weight');
  const cumulative: number[] = [];
  let total = 0;
  for (const key of keys) {
    total += weights[key];
    cumulative.push(total);
  }
  return (random) => {
    const threshold = random() * total;
    for (let index = 0; index < cumulative.length; index++) {
      if (threshold < (cumulative[index] ?? 0)) return keys[index] as T;
    }
    return keys[keys.length - 1] as T;
  };
}

export function randomHex(random: Random, length: number): string {
  let hex = '';
  while (hex.length < length) {
    hex += Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
  }
  return hex.length === length ? hex : hex.slice(0, length);
}
