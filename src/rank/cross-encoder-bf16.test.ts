// The cross-encoder ranker on sift's native bfloat16 encoder (`:bf16`, and the default where the CPU has
// AMX) against the same checkpoint's float32 ONNX Runtime graph.
//
// No pretrained cross-encoder is obtainable here, so the checkpoint is all-MiniLM-L6-v2's real encoder with
// a classifier head whose weights follow a formula (pooler and a 2-label classifier, as a fine-tuned
// sequence-pair classifier has): real activations through every layer, and a head that checks the
// plumbing (token types, [CLS], tanh, the label margin), never ranking quality.

import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bf16KernelSkip } from '../../test/lib/bf16-skip.js';
import { modelFileSkip } from '../../test/lib/model-skip.js';
import { encodeSafetensors, readSafetensors, TOKENIZER_FILES } from '../models/index.js';
import { nativeEncoderByDefault, nativeEncoderStatus } from '../runtime/index.js';
import { siftPaths } from '../util/index.js';
import { type CrossEncoderRanker, loadCrossEncoder } from './cross-encoder-ranker.js';

const base = join(siftPaths().models, 'all-minilm-l6-v2');
const skip = modelFileSkip(join(base, 'model.safetensors'), 'all-minilm-l6-v2') || bf16KernelSkip();

/** all-MiniLM-L6-v2 plus a formula-made pooler and 2-label classifier, as a cross-encoder folder. */
async function writeCrossEncoder(dir: string): Promise<void> {
  const weights = await readSafetensors(join(base, 'model.safetensors'));
  const tensors = weights.names
    .filter((name) => name !== 'embeddings.position_ids')
    .map((name) => {
      const t = weights.float32(name);
      return { name, shape: [...t.shape], data: t.data };
    });
  const h = 384;
  const formula = (n: number, scale: number, phase: number) =>
    Float32Array.from({ length: n }, (_, i) => scale * Math.sin(0.37 * i + phase));
  tensors.push(
    { name: 'pooler.dense.weight', shape: [h, h], data: formula(h * h, 0.08, 0.1) },
    { name: 'pooler.dense.bias', shape: [h], data: formula(h, 0.05, 0.7) },
    { name: 'classifier.weight', shape: [2, h], data: formula(2 * h, 0.2, 1.3) },
    { name: 'classifier.bias', shape: [2], data: Float32Array.of(0.1, -0.1) },
  );
  await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  for (const file of ['config.json', ...TOKENIZER_FILES]) {
    await copyFile(join(base, file), join(dir, file));
  }
}

const query = 'how does a wing behave in a propeller slipstream';
const candidates = [
  'experimental investigation of the aerodynamics of a wing in a slipstream',
  'the lift increase due to the slipstream at different angles of attack of the wing',
  'Senior backend engineer, Go and PostgreSQL, remote within Europe',
  'heat transfer in laminar boundary layers on flat plates at high mach numbers, measured in a shock tube '.repeat(
    3,
  ),
  'a',
].map((text, i) => ({ id: String(i), title: i === 1 ? 'slipstream effects' : '', text }));

describe('cross-encoder on the native bf16 encoder', { skip }, () => {
  let dir: string;
  let native: CrossEncoderRanker;
  let graph: CrossEncoderRanker;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sift-ce-bf16-'));
    await writeCrossEncoder(dir);
    native = await loadCrossEncoder(dir, { id: 'ce', cacheGraph: false, threads: 2, dtype: 'bf16' });
    graph = await loadCrossEncoder(dir, { id: 'ce', cacheGraph: false, threads: 2, dtype: 'fp32' });
  });
  after(async () => {
    await native?.release();
    await graph?.release();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is the default where AMX runs, and its label margins follow the float32 graph', async () => {
    assert.equal(native.kernel, nativeEncoderStatus().variant);
    const plain = await loadCrossEncoder(dir, { id: 'ce', cacheGraph: false, threads: 2 });
    try {
      assert.equal(plain.kernel, nativeEncoderByDefault() ? 'amx-bf16' : 'onnxruntime');
    } finally {
      await plain.release();
    }
    assert.equal(graph.kernel, 'onnxruntime');
    const a = await native.score(query, candidates);
    const b = await graph.score(query, candidates);
    const spread = Math.max(...b) - Math.min(...b);
    assert.ok(spread > 0.05, `the head separates the candidates (spread ${spread})`);
    for (let i = 0; i < candidates.length; i++) {
      // bf16 inputs to every product move a logit by about 1e-3 of the spread; token types or [CLS] wrong
      // would move it by the spread itself.
      assert.ok(Math.abs((a[i] ?? 0) - (b[i] ?? 0)) < 0.01 * spread, `candidate ${i}: ${a[i]} vs ${b[i]}`);
    }
    assert.notDeepEqual(a, b, 'bf16 did not run: the scores equal the float32 graph');
  });

  it('scores a pair the same bits alone as among others', async () => {
    const together = await native.score(query, candidates);
    for (let i = 0; i < candidates.length; i++) {
      const [alone] = await native.score(query, [candidates[i]!]);
      assert.equal(alone, together[i], `candidate ${i}`);
    }
  });
});
