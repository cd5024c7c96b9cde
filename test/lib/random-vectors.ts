// Seeded random unit vectors for the kNN tests and benchmark (shape and parity checks only: random
// vectors say nothing about retrieval quality on real embeddings).

import { xoshiro128ss } from '../../src/util/index.js';

/** n rows of dimension d, each drawn from an isotropic Gaussian and L2-normalised, row after row. */
export function randomUnitVectors(n: number, d: number, seed: number): Float32Array {
  const next = xoshiro128ss(seed);
  const uniform = () => (next() + 0.5) / 2 ** 32;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < d; j += 2) {
      // Box–Muller: two independent standard normals per pair of uniforms.
      const radius = Math.sqrt(-2 * Math.log(uniform()));
      const angle = 2 * Math.PI * uniform();
      const a = radius * Math.cos(angle);
      out[i * d + j] = a;
      norm += a * a;
      if (j + 1 < d) {
        const b = radius * Math.sin(angle);
        out[i * d + j + 1] = b;
        norm += b * b;
      }
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < d; j++) out[i * d + j] = out[i * d + j]! * inv;
  }
  return out;
}

/** Exact top-k by brute force in float64 (the reference the engine is tested against). */
export function bruteForceTopK(
  corpus: Float32Array,
  d: number,
  query: Float32Array,
  queryOffset: number,
  k: number,
  include: (ord: number) => boolean = () => true,
): Array<{ ord: number; score: number }> {
  const n = corpus.length / d;
  const scored: Array<{ ord: number; score: number }> = [];
  for (let ord = 0; ord < n; ord++) {
    if (!include(ord)) continue;
    let sum = 0;
    for (let j = 0; j < d; j++) sum += corpus[ord * d + j]! * query[queryOffset + j]!;
    scored.push({ ord, score: sum });
  }
  return scored.sort((a, b) => b.score - a.score || a.ord - b.ord).slice(0, k);
}
