// The native kNN kernel and the ONNX Runtime scan must return the same top k: same rows, same scores.
// Cases reach every kernel path of the variant the addon picked: float32 with d % 16 = 0 (384), a tail of
// 8 (40) and of 4 (20: AVX-512's masked tail, scalar under AVX2), query counts that leave remainders of the
// 4-query blocks, the int8 kernel's SIMD (32-row strips, query counts leaving remainders of the 8-query
// VNNI blocks) and scalar (tiles of 16) paths against integer dot products computed here, int8 search with
// per-vector and per-dimension scales, deletions, filters and k larger than a block. This file runs once
// per variant the CPU supports (exact-knn-variants.test.ts sets SIFT_KNN_ISA for each lower one).

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { bruteForceTopK, randomUnitVectors } from '../../test/lib/random-vectors.js';
import { isSiftError } from '../errors.js';
import { codeIndex, VectorStore, type VectorStoreOptions } from '../index/index.js';
import { type KnnVariant, loadNativeKnn, nativeKnnStatus } from '../runtime/index.js';
import { ExactKnn, type KnnSearchOptions } from './exact-knn.js';
import { TopKCollector } from './top-k.js';

const native = nativeKnnStatus();
const skip = native.available ? false : `native kernel not built: ${native.reason}`;
const engines: ExactKnn[] = [];
after(async () => {
  for (const engine of engines) await engine.release();
});

function storeOf(d: number, n: number, options: Partial<VectorStoreOptions>, seed: number): VectorStore {
  const store = VectorStore.create(d, { modelId: 'test', blockRows: 1024, ...options });
  store.addBatch(randomUnitVectors(n, d, seed), n);
  return store;
}

async function bothKernels(
  store: VectorStore,
  queries: Float32Array,
  m: number,
  k: number,
  options: KnnSearchOptions = {},
) {
  const nativeKnn = new ExactKnn(store, { intraOpThreads: 2, kernel: 'native', scanInJsBelow: 0 });
  const ortKnn = new ExactKnn(store, { intraOpThreads: 2, kernel: 'ort', scanInJsBelow: 0 });
  engines.push(nativeKnn, ortKnn);
  assert.equal(nativeKnn.kernel, 'native');
  assert.equal(ortKnn.kernel, 'ort');
  return {
    native: await nativeKnn.search(queries, m, k, options),
    ort: await ortKnn.search(queries, m, k, options),
  };
}

function assertSame(
  actual: { ord: number; score: number }[][],
  expected: { ord: number; score: number }[][],
) {
  assert.equal(actual.length, expected.length);
  actual.forEach((hits, q) => {
    assert.equal(hits.length, expected[q]!.length, `query ${q}: result count`);
    hits.forEach((hit, i) => {
      assert.equal(hit.ord, expected[q]![i]!.ord, `query ${q} rank ${i}: row`);
      assert.ok(Math.abs(hit.score - expected[q]![i]!.score) < 1e-6, `query ${q} rank ${i}: score`);
    });
  });
}

test('the variant is the one SIFT_KNN_ISA asked for, and each shape runs the path it should', {
  skip,
}, () => {
  const kernel = loadNativeKnn()!;
  const asked = process.env['SIFT_KNN_ISA'];
  if (asked) assert.equal(kernel.variant, asked === 'avx2' ? 'avx2-fma' : asked);
  else assert.equal(kernel.variant, kernel.supported[0], 'without SIFT_KNN_ISA the best variant is picked');
  assert.ok(kernel.supported.includes(kernel.variant));
  assert.equal(kernel.supported.at(-1), 'scalar');
  const v = kernel.variant;
  const avx512 = v === 'avx512f' || v === 'avx512-vnni';
  const simd = (path: KnnVariant) => (v === 'scalar' ? 'scalar' : path);
  assert.equal(kernel.pathFor('float32', 384, 32), avx512 ? 'avx512f' : simd('avx2-fma'));
  assert.equal(kernel.pathFor('float32', 20, 32), avx512 ? 'avx512f' : 'scalar');
  assert.equal(kernel.pathFor('int8', 24, 32), simd(v === 'avx512-vnni' ? 'avx512-vnni' : 'avx2-fma'));
  assert.equal(kernel.pathFor('int8', 24, 16), 'scalar');
});

test("kernel 'auto' leaves the scalar loops to ONNX Runtime; 'native' still runs them", {
  skip,
}, async () => {
  const kernel = loadNativeKnn()!;
  for (const d of [384, 20]) {
    const store = storeOf(d, 10, {}, 33);
    const auto = new ExactKnn(store, { kernel: 'auto' });
    const forced = new ExactKnn(store, { kernel: 'native' });
    engines.push(auto, forced);
    const path = kernel.pathFor('float32', d, store.tileRows);
    assert.equal(auto.kernelPath, path === 'scalar' ? 'ort' : path);
    assert.equal(forced.kernelPath, path);
  }
});

test('float32: native equals ONNX Runtime and brute force, full-width, tail and scalar paths', {
  skip,
}, async () => {
  for (const d of [384, 40, 20]) {
    const n = 3001;
    const store = storeOf(d, n, {}, 31);
    const corpus = randomUnitVectors(n, d, 31);
    // 1–7 run the 4-query blocks (or one query), 8–16 the AVX-512 lanes with one register per row, 17–32
    // two, 40 a full group and a partial one.
    for (const m of [1, 3, 7, 9, 16, 17, 40]) {
      const queries = randomUnitVectors(m, d, 32 + m);
      const { native, ort } = await bothKernels(store, queries, m, 10);
      assertSame(native, ort);
      for (let q = 0; q < m; q++) {
        const reference = bruteForceTopK(corpus, d, queries, q * d, 10);
        assert.deepEqual(
          native[q]!.map((hit) => hit.ord),
          reference.map((hit) => hit.ord),
        );
      }
    }
  }
});

test('float32 kernel: rows starting anywhere in a cache line give the brute-force top k', { skip }, () => {
  // A 64-byte load may straddle cache lines wherever the rows start; a kernel that assumed aligned rows
  // (or peeled a head to align them) must still score every row. Views at 0, 4, 8 and 12 floats into one
  // buffer cover every 16-byte offset within a line.
  const kernel = loadNativeKnn()!;
  const d = 64;
  const n = 700;
  const k = 10;
  const rows = randomUnitVectors(n, d, 35);
  const buffer = new Float32Array(n * d + 16);
  for (const shift of [0, 4, 8, 12]) {
    const view = buffer.subarray(shift, shift + n * d);
    view.set(rows);
    for (const m of [1, 5, 20]) {
      const queries = randomUnitVectors(m, d, 36 + m);
      const result = kernel.scanFloat32(queries, d, view, { m, n, live: null, base: 0, k, threads: 1 });
      for (let q = 0; q < m; q++) {
        const reference = bruteForceTopK(rows, d, queries, q * d, k);
        const got = Array.from(result.ords.subarray(q * k, (q + 1) * k));
        const scores = Array.from(result.scores.subarray(q * k, (q + 1) * k));
        const byScore = got.map((ord, i) => ({ ord, score: scores[i]! })).sort((a, b) => b.score - a.score);
        assert.deepEqual(
          byScore.map((hit) => hit.ord),
          reference.map((hit) => hit.ord),
          `shift ${shift}, m ${m}, query ${q}`,
        );
        for (const [i, hit] of byScore.entries()) {
          assert.ok(Math.abs(hit.score - reference[i]!.score) < 1e-5, `shift ${shift}, query ${q} rank ${i}`);
        }
      }
    }
  }
});

test('threads taking chunks of a large block keep the exact top k, ties to the lower ordinal', {
  skip,
}, () => {
  // 7,000 rows are 5 chunks (of at least 1,536 rows) shared by 3 threads; the second half repeats the
  // first, so every score comes twice: a row's copy ranks right after it, and with k odd the last pair
  // is split, where only the lower ordinal may be returned.
  const kernel = loadNativeKnn()!;
  const d = 32;
  const half = 3500;
  const n = 2 * half;
  const unique = randomUnitVectors(half, d, 37);
  const rows = new Float32Array(n * d);
  rows.set(unique);
  rows.set(unique, half * d);
  const m = 5;
  const k = 41;
  const queries = randomUnitVectors(m, d, 38);
  const threads = 3;
  const merged = (result: { ords: Int32Array; scores: Float32Array }, q: number, queryCount = m) => {
    const collector = new TopKCollector(k);
    for (let t = 0; t < threads; t++) {
      for (let i = (t * queryCount + q) * k; i < (t * queryCount + q + 1) * k; i++)
        if (result.ords[i]! >= 0) collector.offer(result.ords[i]!, result.scores[i]!);
    }
    return collector.results().map((hit) => hit.ord);
  };
  const assertPairs = (ords: number[], what: string) => {
    assert.equal(ords.length, k, what);
    for (let i = 0; i < k; i += 2) {
      assert.ok(ords[i]! < half, `${what}: rank ${i} is a copy`);
      if (i + 1 < k) assert.equal(ords[i + 1], ords[i]! + half, `${what}: rank ${i + 1}`);
    }
  };
  const common = { m, n, live: null, base: 0, k, threads };
  // 12 queries take the AVX-512 lanes path where the CPU has it, 5 the 4-query blocks.
  const many = randomUnitVectors(12, d, 39);
  for (const [mf, qs] of [
    [m, queries],
    [12, many],
  ] as const) {
    const f32 = kernel.scanFloat32(qs, d, rows, { ...common, m: mf });
    for (let q = 0; q < mf; q++) {
      const got = merged(f32, q, mf);
      assertPairs(got, `float32 ${mf} queries, query ${q}`);
      const reference = bruteForceTopK(unique, d, qs, q * d, (k + 1) / 2).map((hit) => hit.ord);
      assert.deepEqual(
        got.filter((ord) => ord < half),
        reference,
        `float32 ${mf} queries, query ${q}`,
      );
    }
  }
  const store = VectorStore.create(d, { modelId: 'test', dtype: 'int8', tileRows: 32, blockRows: 8192 });
  store.addBatch(rows, n);
  store.ensureQuantized();
  const block = store.blocks()[0]!;
  assert.equal(block.rows, n);
  const codes = new Int8Array(m * d).map((_, i) => ((i * 53) % 255) - 127);
  const i8 = kernel.scanInt8(codes, d, block.codes!, block.rowScales!, 32, common);
  for (let q = 0; q < m; q++) assertPairs(merged(i8, q), `int8 query ${q}`);
});

test('int8 kernel: exact integer dot products of the codes, SIMD (32-row tiles) and scalar (16-row tiles)', {
  skip,
}, () => {
  const kernel = loadNativeKnn()!;
  const d = 24; // not a multiple of 8; code width 24
  const m = 11; // VNNI blocks of 8, 2 and 1 queries; AVX2 pairs and one
  for (const tileRows of [32, 16]) {
    const store = storeOf(d, 1000, { dtype: 'int8', tileRows, blockRows: 1024 }, 71);
    store.ensureQuantized();
    const block = store.blocks()[0]!;
    const queries = new Int8Array(m * d).map((_, i) => ((i * 37) % 255) - 127);
    const k = 25;
    const result = kernel.scanInt8(queries, d, block.codes!, block.rowScales!, tileRows, {
      m,
      n: block.rows,
      live: null,
      base: 0,
      k,
      threads: 2,
    });
    for (let q = 0; q < m; q++) {
      const got = new TopKCollector(k);
      for (let t = 0; t < 2; t++) {
        for (let i = (t * m + q) * k; i < (t * m + q + 1) * k; i++)
          if (result.ords[i]! >= 0) got.offer(result.ords[i]!, result.scores[i]!);
      }
      const expected = new TopKCollector(k);
      for (let row = 0; row < block.rows; row++) {
        let dot = 0;
        for (let j = 0; j < d; j++)
          dot += queries[q * d + j]! * block.codes![codeIndex(d, tileRows, row, j)]!;
        expected.offer(row, Math.fround(Math.fround(dot) * block.rowScales![row]!));
      }
      assert.deepEqual(got.results(), expected.results(), `tiles of ${tileRows}, query ${q}`);
    }
  }
});

test('int8 search (codes, then exact rescoring) finds the exact top 10, per-vector and per-dimension scales', {
  skip,
}, async () => {
  for (const scales of ['vector', 'dimension'] as const) {
    const store = storeOf(64, 2500, { dtype: 'int8', scales }, 41);
    const queries = randomUnitVectors(5, 64, 42);
    // The ONNX Runtime scan reads an int8 store's float32 master: the exact answer.
    const { native, ort } = await bothKernels(store, queries, 5, 10, { rescore: 100 });
    assertSame(native, ort);
  }
});

test('deletions, filters and k beyond a block agree between kernels', { skip }, async () => {
  for (const dtype of ['float32', 'int8'] as const) {
    const store = storeOf(32, 2100, { dtype, tileRows: 32, blockRows: 512 }, 51);
    for (let ord = 0; ord < 2100; ord += 3) store.delete(ord);
    const allowed = new Uint8Array(2000);
    for (let ord = 0; ord < 2000; ord++) allowed[ord] = ord % 5 === 0 ? 0 : 1;
    const queries = randomUnitVectors(4, 32, 52);
    // 1,067 rows are live and allowed; k = 1,000 is more than any 512-row block holds.
    const { native, ort } = await bothKernels(store, queries, 4, 1000, { allowed });
    assertSame(native, ort);
    for (const hits of native) {
      assert.equal(hits.length, 1000);
      for (const hit of hits) {
        assert.notEqual(hit.ord % 3, 0, `deleted row ${hit.ord} returned`);
        assert.ok(hit.ord < 2000 && hit.ord % 5 !== 0, `filtered-out row ${hit.ord} returned`);
      }
    }
  }
});

test('asking for the native kernel on a float16 store is refused', () => {
  const store = storeOf(16, 10, { dtype: 'float16' }, 61);
  assert.throws(
    () => new ExactKnn(store, { kernel: 'native' }),
    (error: unknown) => isSiftError(error) && error.code === 'E_NATIVE_UNAVAILABLE',
  );
});
