// A small seeded pseudo-random generator (xoshiro128**), so permutation tests give the same p-value every run.
//
// xoshiro128** by Blackman & Vigna (https://prng.di.unimi.it/xoshiro128starstar.c): 128-bit state,
// period 2^128 − 1, passes BigCrush; its four state words are filled from the seed with SplitMix32,
// as the authors recommend, so that nearby seeds give unrelated streams.

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
