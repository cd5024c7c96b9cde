// Tests for the bfloat16 embedder (`<id>:bf16`, native/encoder.cc on AMX tiles or AVX-512 BF16): agreement with
// sentence-transformers' reference vectors and with sift's float32 graph on real texts, batching that
// changes nothing, and the fallback to the float32 graph (with its reason) where the kernel cannot run.
//
// A plain embedder id runs this kernel where the CPU has AMX (precision 'auto'); `:fp32` keeps the float32 graph.
// The kernel needs a CPU with AVX512-BF16 (Intel Cooper Lake, AMD Zen 4 or later; AMX where present). On
// any other CPU the tests that run it skip, saying why on stderr; the fallback test runs everywhere. On a
// CPU that has it, a missing or unloadable addon is a failure, not a skip. Where AMX runs, the AVX-512
// kernel (SIFT_BF16_KERNEL=avx512-bf16) is checked against it in a child process.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bf16KernelSkip } from '../../test/lib/bf16-skip.js';
import { cosine } from '../../test/lib/cosine.js';
import { modelFileSkip } from '../../test/lib/model-skip.js';
import { nativeEncoderByDefault, nativeEncoderStatus } from '../runtime/index.js';
import { siftPaths } from '../util/index.js';
import { type Embedder, loadEmbedder } from './embedder.js';
import { openEmbedder } from './open-embedder.js';

const modelDir = join(siftPaths().models, 'all-minilm-l6-v2');
const fixture = new URL('../../../test/fixtures/minilm-l6-reference.json', import.meta.url);
const noModel = modelFileSkip(join(modelDir, 'model.safetensors'), 'all-minilm-l6-v2');
const cases: Array<{ index: number; text: string; embedding: number[] }> =
  noModel || !existsSync(fixture) ? [] : JSON.parse(readFileSync(fixture, 'utf8')).cases;
const texts = cases.map((c) => c.text);

/** Why the kernel tests cannot run here: the model is missing, or the CPU lacks AVX512-BF16. */
function kernelSkip(): false | string {
  return noModel || bf16KernelSkip();
}

const row = (data: Float32Array, i: number, d: number) => data.subarray(i * d, (i + 1) * d);

describe('all-MiniLM-L6-v2:bf16 on the native encoder', { skip: kernelSkip() }, () => {
  let fp32: Embedder;
  let bf16: Embedder;
  before(async () => {
    fp32 = await loadEmbedder(modelDir, { id: 'all-minilm-l6-v2', threads: 2 });
    bf16 = await loadEmbedder(modelDir, { id: 'all-minilm-l6-v2', dtype: 'bf16', threads: 2 });
  });
  after(async () => {
    await fp32?.release();
    await bf16?.release();
  });

  it('runs on the native kernel and agrees with sentence-transformers and the float32 graph (cosine ≥ 0.9999)', async () => {
    assert.equal(bf16.kernel, nativeEncoderStatus().variant);
    assert.equal(fp32.kernel, 'onnxruntime');
    assert.equal(bf16.dimension, 384);
    const mine = await bf16.encode(texts);
    const graph = await fp32.encode(texts);
    let exact = 0;
    cases.forEach((c, i) => {
      const v = row(mine, i, 384);
      const toReference = cosine(v, c.embedding);
      const toGraph = cosine(v, row(graph, i, 384));
      assert.ok(toReference >= 0.9999, `case ${c.index}: cosine ${toReference} to sentence-transformers`);
      assert.ok(toGraph >= 0.9999, `case ${c.index}: cosine ${toGraph} to the float32 graph`);
      assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5, `case ${c.index}: not unit length`);
      if (toGraph === 1) exact++;
    });
    // bfloat16 rounding must show: a kernel that silently ran float32 would match the graph exactly.
    assert.ok(exact < cases.length, 'every vector equals the float32 graph: bf16 did not run');
  });

  it('gives bit-identical vectors alone, in mixed-length batches, on one or two threads, in input order', async () => {
    const few = texts.slice(0, 9);
    const batched = await bf16.encode(few);
    const single = await loadEmbedder(modelDir, {
      id: 'all-minilm-l6-v2',
      dtype: 'bf16',
      batchSize: 1,
      threads: 1,
    });
    try {
      assert.deepEqual(await single.encode(few), batched);
    } finally {
      await single.release();
    }
    const reversed = await bf16.encode([...few].reverse());
    for (let i = 0; i < few.length; i++)
      assert.deepEqual(row(reversed, few.length - 1 - i, 384), row(batched, i, 384));
  });

  it('embeds nothing for no texts and keeps working after concurrent calls', async () => {
    assert.equal((await bf16.encode([])).length, 0);
    const [a, b] = await Promise.all([bf16.encode(texts.slice(0, 3)), bf16.encode(texts.slice(3, 6))]);
    const both = await bf16.encode(texts.slice(0, 6));
    assert.deepEqual(a, both.subarray(0, 3 * 384));
    assert.deepEqual(b, both.subarray(3 * 384));
  });

  it('is what a plain embedder id runs where AMX does; :fp32 keeps the float32 graph under the same id', async () => {
    const plain = await openEmbedder('all-minilm-l6-v2', { quiet: true, threads: 2 });
    const float = await openEmbedder('all-minilm-l6-v2:fp32', { quiet: true, threads: 2 });
    try {
      assert.deepEqual(
        [plain.id, plain.dtype, plain.kernel],
        nativeEncoderByDefault()
          ? ['all-minilm-l6-v2', 'bf16', 'amx-bf16']
          : ['all-minilm-l6-v2', 'fp32', 'onnxruntime'],
      );
      assert.deepEqual([float.id, float.dtype, float.kernel], ['all-minilm-l6-v2', 'fp32', 'onnxruntime']);
    } finally {
      await plain.release();
      await float.release();
    }
  });

  it('falls back to the float32 graph, saying why, for an architecture the kernel does not run', async (t) => {
    const mpnet = join(siftPaths().models, 'all-mpnet-base-v2');
    const skip = modelFileSkip(join(mpnet, 'model.safetensors'), 'all-mpnet-base-v2');
    if (skip) return t.skip(skip);
    const embedder = await loadEmbedder(mpnet, { id: 'all-mpnet-base-v2', dtype: 'bf16', threads: 2 });
    try {
      assert.match(embedder.kernel, /^onnxruntime \(bf16 unavailable: .*mpnet/);
      assert.equal((await embedder.encode(['a short text'])).length, 768);
    } finally {
      await embedder.release();
    }
  });
});

describe('the AVX-512 BF16 kernel where AMX also runs', {
  skip: kernelSkip() || (nativeEncoderStatus().variant !== 'amx-bf16' && 'AMX does not run here'),
}, () => {
  it('agrees with the AMX kernel and the float32 graph (cosine ≥ 0.9999), batched or alone', async () => {
    const script = `
      const { loadEmbedder } = await import(${JSON.stringify(new URL('./embedder.js', import.meta.url).href)});
      const texts = JSON.parse(process.argv[1]);
      const dir = ${JSON.stringify(modelDir)};
      const batched = await loadEmbedder(dir, { id: 'x', dtype: 'bf16', threads: 2 });
      const alone = await loadEmbedder(dir, { id: 'x', dtype: 'bf16', threads: 1, batchSize: 1 });
      const a = await batched.encode(texts);
      const b = await alone.encode(texts);
      console.log(JSON.stringify({ kernel: batched.kernel, same: a.every((v, i) => v === b[i]), vectors: [...a] }));
      await batched.release(); await alone.release();`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script, JSON.stringify(texts)],
      {
        env: { ...process.env, SIFT_BF16_KERNEL: 'avx512-bf16' },
        cwd: fileURLToPath(new URL('../../..', import.meta.url)),
        maxBuffer: 64 << 20,
      },
    );
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
      kernel: string;
      same: boolean;
      vectors: number[];
    };
    assert.equal(result.kernel, 'avx512-bf16');
    assert.equal(result.same, true, 'batched and alone differ');
    const amx = await loadEmbedder(modelDir, { id: 'x', dtype: 'bf16', threads: 2 });
    const fp32 = await loadEmbedder(modelDir, { id: 'x', dtype: 'fp32', threads: 2 });
    try {
      const [ofAmx, ofFp32] = [await amx.encode(texts), await fp32.encode(texts)];
      const mine = Float32Array.from(result.vectors);
      let differs = 0;
      texts.forEach((_, i) => {
        assert.ok(cosine(row(mine, i, 384), row(ofAmx, i, 384)) >= 0.9999, `case ${i} vs AMX`);
        assert.ok(cosine(row(mine, i, 384), row(ofFp32, i, 384)) >= 0.9999, `case ${i} vs float32`);
        if (row(mine, i, 384).some((v, j) => v !== row(ofAmx, i, 384)[j])) differs++;
      });
      // Different summation orders: identical vectors would mean the cap chose the same kernel.
      assert.ok(differs > 0, 'the AVX-512 kernel returned exactly the AMX vectors');
    } finally {
      await amx.release();
      await fp32.release();
    }
  });
});

describe('a bf16 embedder without the kernel', { skip: noModel }, () => {
  it('runs the float32 graph and says why (SIFT_NO_BF16_ENCODER=1)', async () => {
    // The addon is loaded once per process, so the switched-off case runs in a child.
    const script = `
      const { loadEmbedder } = await import(${JSON.stringify(new URL('./embedder.js', import.meta.url).href)});
      const dir = ${JSON.stringify(modelDir)};
      const bf16 = await loadEmbedder(dir, { id: 'x', dtype: 'bf16', threads: 1 });
      const fp32 = await loadEmbedder(dir, { id: 'x', threads: 1 });
      const a = await bf16.encode(['sift falls back']);
      const b = await fp32.encode(['sift falls back']);
      console.log(JSON.stringify({ kernel: bf16.kernel, same: a.every((v, i) => v === b[i]) }));
      await bf16.release(); await fp32.release();`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, SIFT_NO_BF16_ENCODER: '1' },
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
    });
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { kernel: string; same: boolean };
    assert.equal(result.kernel, 'onnxruntime (bf16 unavailable: disabled by SIFT_NO_BF16_ENCODER=1)');
    assert.equal(result.same, true);
  });
});
