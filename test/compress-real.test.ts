// OSSCAR on real activations: all-MiniLM-L6-v2's first two blocks (the top four dropped, so the test stays
// short), calibrated on Cranfield pairs from training queries. Per block and target, OSSCAR's
// reconstruction error must be below magnitude pruning's at the same sparsity, as the issue requires.

import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { calibrationPairs, pruneBertEncoder } from '../src/compress/index.js';
import { bertWeights, loadTokenizer, readBertConfig, readSafetensors } from '../src/models/index.js';
import { BertEncoder, tokenBatch } from '../src/train/index.js';
import { siftPaths } from '../src/util/paths.js';
import { modelSkip } from './lib/model-skip.js';

const MODEL = 'all-minilm-l6-v2';
const CRANFIELD = join(resolve(process.env.SIFT_SHARED ?? '../shared'), 'data', 'cranfield');

test('OSSCAR reconstructs real MiniLM activations better than magnitude pruning, block by block', async (t) => {
  const skip = modelSkip(MODEL);
  if (skip) return t.skip(skip);
  const dir = join(siftPaths().models, MODEL);
  const { config } = await readBertConfig(dir);
  const encoder = BertEncoder.fromWeights(
    bertWeights(await readSafetensors(join(dir, 'model.safetensors')), config),
    config,
  );
  const pairs = await calibrationPairs([CRANFIELD], 48, 42);
  const tokenizer = await loadTokenizer(dir, { maxLength: 128 });
  const encoded = tokenizer.encodePairs(
    pairs.map((p) => p.query),
    pairs.map((p) => (p.title ? `${p.title}\n${p.text}` : p.text)),
    { maxLength: 128, truncation: 'only_second' },
  );
  const all = encoded.ids.map((ids, i) => ({
    ids: Int32Array.from(ids),
    typeIds: Int32Array.from(encoded.typeIds[i]!),
  }));
  const batches = [0, 16, 32].map((start) =>
    tokenBatch(
      all,
      [...Array(16).keys()].map((i) => start + i),
    ),
  );
  const result = pruneBertEncoder(encoder, batches, { mlp: 0.5, heads: 0.25, dropLayers: 4 });
  assert.equal(encoder.layers.length, 2);
  assert.equal(result.layers.length, 4, 'two blocks × (heads, MLP)');
  assert.deepEqual(result.warnings, [], 'enough calibration tokens for every block');
  for (const block of result.layers) {
    assert.ok(
      block.relativeError < block.magnitudeRelativeError,
      `layer ${block.layer} ${block.target}: OSSCAR ${block.relativeError} vs magnitude ${block.magnitudeRelativeError}`,
    );
  }
  // The pruned encoder keeps 9 of 12 heads and 768 of 1,536 neurons per block, and still runs.
  assert.equal(encoder.layers[0]!.parts.heads, 9);
  assert.equal(encoder.layers[1]!.parts.intermediate.outFeatures, 768);
  const hidden = encoder.forward(batches[0]!);
  assert.ok(hidden.every(Number.isFinite));
});
