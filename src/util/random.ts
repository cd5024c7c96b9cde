// sift's seeded pseudo-random generators, in one module. Each is used where its property matters, and each
// stream is pinned (recorded results, generated collections and checkpoints depend on it), so none can be
// swapped for another without changing numbers that were published:
// - Mulberry32: the whole state is one 32-bit integer, so a training checkpoint can save it and a resumed
//   run draws exactly what the uninterrupted run would have; also the quick generator of tests, benchmarks,
//   pair sampling and evaluation's randomised baselines (`mulberry32(seed)`).
// - xoshiro128** (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c): 128-bit state, period
//   2^128 − 1, passes BigCrush; its four state words are filled from the seed with SplitMix32, as the
//   authors recommend, so that nearby seeds give unrelated streams. Permutation tests use it, so they give
//   the same p-value every run.
// - sfc32 seeded by splitmix32 (`createRandom`): the demo collection's generator. Only 32-bit integer
//   arithmetic (Math.imul, shifts) and exact divisions by 2^32 are used, so no float rounding can differ
//   between platforms. Seeds can be derived from labels and indices, which lets posting i be drawn from its
//   own stream: the first 5,000 postings of a 100,000 collection equal a 5,000 collection.

import { SiftError } from '../errors.js';

// --- mulberry32 -------------------------------------------------------------------------------------

/** mulberry32 whose state can be saved: `new Mulberry32(saved)` continues the same sequence. */
export class Mulberry32 {
  constructor(private state: number) {
    this.state = state >>> 0;
  }

  /** The state to save; `new Mulberry32(saved)` continues the same sequence. */
  get saved(): number {
    return this.state;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

/** mulberry32 as a function: each call returns the next uniform number in [0, 1). */
export function mulberry32(seed: number): () => number {
  const generator = new Mulberry32(seed);
  return () => generator.next();
}

// --- xoshiro128** -----------------------------------------------------------------------------------

export type Random32 = () => number;

/** SplitMix32 step: a well-mixed 32-bit output for each increment of the state by the golden gamma. */
function splitMix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A generator of uniform unsigned 32-bit integers, fully determined by `seed` (any integer). */
export function xoshiro128ss(seed: number): Random32 {
  const init = { s: seed | 0 };
  let a = splitMix32(init);
  let b = splitMix32(init);
  let c = splitMix32(init);
  let d = splitMix32(init);
  // An all-zero state would stay zero forever; SplitMix32 cannot give four zeros, but be safe.
  if ((a | b | c | d) === 0) a = 1;
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// --- sfc32 (the demo collection) --------------------------------------------------------------------

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
