// paraphrase-MiniLM-L3-v2 ships only an ONNX export; the training engine starts from a checkpoint
// converted from it (models/trainable-checkpoint.ts). The converted weights, run through sift's own
// BERT graph, must embed real texts as the ONNX export does.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadEmbedder, openEmbedder, trainableCheckpoint } from '../src/models/index.js';
import { modelSkip } from './lib/model-skip.js';

const ID = 'paraphrase-minilm-l3-v2';

test('the checkpoint converted from the ONNX export embeds texts as the export does (cosine ≥ 0.9999)', {
  skip: modelSkip(ID),
}, async () => {
  const folder = await trainableCheckpoint(ID, { quiet: true });
  const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')) as Record<string, number>;
  assert.deepEqual(
    [
      config['num_hidden_layers'],
      config['hidden_size'],
      config['num_attention_heads'],
      config['intermediate_size'],
    ],
    [3, 384, 12, 1536],
  );
  const texts = [
    'experimental investigation of the aerodynamics of a wing in a slipstream',
    'Senior backend engineer, Go and PostgreSQL, remote within Europe',
    'what similarity laws must be obeyed when constructing aeroelastic models of heated high speed aircraft',
    'a',
  ];
  const reference = await openEmbedder(ID, { quiet: true });
  const converted = await loadEmbedder(folder, {
    id: `${ID}-converted`,
    maxLength: 128,
    pooling: 'mean',
    normalize: false,
  });
  try {
    const a = await reference.encode(texts, 'document');
    const b = await converted.encode(texts, 'document');
    const d = reference.dimension;
    for (let i = 0; i < texts.length; i++) {
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let j = 0; j < d; j++) {
        dot += a[i * d + j]! * b[i * d + j]!;
        na += a[i * d + j]! ** 2;
        nb += b[i * d + j]! ** 2;
      }
      const cosine = dot / Math.sqrt(na * nb);
      assert.ok(cosine >= 0.9999, `text ${i}: cosine ${cosine}`);
    }
  } finally {
    await reference.release();
    await converted.release();
  }
  // A second call reuses the converted folder.
  assert.equal(await trainableCheckpoint(ID, { quiet: true }), folder);
});
