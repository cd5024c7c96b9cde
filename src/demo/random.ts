// A small seeded PRNG (splitmix32 seeding sfc32) whose output is identical on every machine and Node version.
//
// Only 32-bit integer arithmetic (Math.imul, shifts) and exact divisions by 2^32 are used, so no float
// rounding can differ between platforms. Seeds can be derived from labels and indices, which lets posting i
// be drawn from its own stream: the first 5,000 postings of a 100,000 collection equal a 5,000 collection.

import { SiftError } from '../errors.js';

export interface Random {
  /** A uniform float in [0, 1) with 32 bits of precision. */
  next(): number;
  uint32(): number;
  /** A uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks with relative weights (non-negative, not all zero). */
  weighted<T>(items: readonly T[], weights: readonly number[]): T;
  /** Up to k distinct items in random order. */
  sample<T>(items: readonly T[], k: number): T[];
  /** Shuffles a copy; the input is left alone. */
  shuffled<T>(items: readonly T[]): T[];
}

const twoTo32 = 4294967296;

/** Checks a user-given seed: an integer in [0, 2^32), so it survives JSON and shells unchanged. */
export function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed >= twoTo32) {
    throw new SiftError('E_BAD_ARGUMENT', `seed must be an integer from 0 to 4294967295, got ${seed}`);
  }
  return seed;
}

/** splitmix32's finaliser: a bijective scramble of 32 bits. */
function mix32(value: number): number {
  let z = value >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** Folds a seed and any labels or indices into one 32-bit seed; different parts give unrelated streams. */
export function deriveSeed(seed: number, ...parts: ReadonlyArray<string | number>): number {
  let h = mix32(seed ^ 0x9e3779b9);
  for (const part of parts) {
    if (typeof part === 'number') {
      h = mix32(h ^ mix32((part >>> 0) + 0x7f4a7c15));
      // Indices above 2^32 still get distinct streams.
      h = mix32(h ^ Math.floor(part / twoTo32));
    } else {
      for (let i = 0; i < part.length; i += 1) h = mix32(Math.imul(h ^ part.charCodeAt(i), 0x01000193));
      h = mix32(h ^ part.length);
    }
  }
  return h;
}

/** sfc32: four 32-bit words of state, small and fast, with no known weakness at this scale. */
class Sfc32 implements Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 expands the one seed into the four words of state.
    let s = seed >>> 0;
    s = (s + 0x9e3779b9) >>> 0;
    this.a = mix32(s);
    s = (s + 0x9e3779b9) >>> 0;
    this.b = mix32(s);
    s = (s + 0x9e3779b9) >>> 0;
    this.c = mix32(s);
    s = (s + 0x9e3779b9) >>> 0;
    this.d = mix32(s);
    // sfc32's first outputs are weakly mixed; burning a few is the customary fix.
    for (let i = 0; i < 12; i += 1) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    const c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (c + t) >>> 0;
    return t;
  }

  next(): number {
    return this.uint32() / twoTo32;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new SiftError('E_BAD_ARGUMENT', 'cannot pick from an empty list');
    return items[this.int(0, items.length - 1)] as T;
  }

  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    if (items.length === 0 || items.length !== weights.length || !(total > 0)) {
      throw new SiftError('E_BAD_ARGUMENT', 'weighted pick needs one positive weight per item');
    }
    let target = this.next() * total;
    for (let i = 0; i < items.length; i += 1) {
      target -= weights[i] as number;
      if (target < 0) return items[i] as T;
    }
    return items[items.length - 1] as T;
  }

  sample<T>(items: readonly T[], k: number): T[] {
    // A partial Fisher-Yates: only the first k places are shuffled.
    const copy = items.slice();
    const n = Math.min(Math.max(0, k), copy.length);
    for (let i = 0; i < n; i += 1) {
      const j = this.int(i, copy.length - 1);
      const swap = copy[i] as T;
      copy[i] = copy[j] as T;
      copy[j] = swap;
    }
    copy.length = n;
    return copy;
  }

  shuffled<T>(items: readonly T[]): T[] {
    return this.sample(items, items.length);
  }
}

export function createRandom(seed: number): Random {
  return new Sfc32(seed);
}
