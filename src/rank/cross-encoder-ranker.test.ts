// Parity of the cross-encoder ranker with transformers' BertForSequenceClassification.
//
// test/fixtures/cross-encoder-reference.json was made once by a script outside the repo (see
// test/fixtures/README.md): a tiny BERT pair classifier (2 layers, hidden 32, the real 30,522-token
// vocabulary) whose every weight follows a formula, so no weights are stored: this test rebuilds the
// same safetensors from the formula. Random-looking weights check the plumbing (pair tokenization,
// segment ids, the classifier head), never ranking quality: no pretrained cross-encoder is obtainable here.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSiftError } from '../errors.js';
import { encodeSafetensors } from '../models/index.js';
import { sharedDir } from '../util/index.js';
import { type CrossEncoderRanker, loadCrossEncoder } from './cross-encoder-ranker.js';

interface Reference {
  config: {
    vocab_size: number;
    hidden_size: number;
    num_hidden_layers: number;
    intermediate_size: number;
    max_position_embeddings: number;
    type_vocab_size: number;
    num_labels: number;
  };
  cases: { query: string; document: string; input_ids: number[]; logit: number }[];
}

const reference = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/cross-encoder-reference.json', import.meta.url), 'utf8'),
) as Reference;
const tokenizerDir = join(sharedDir(), 'tokenizers', 'cross-encoder-ms-marco-MiniLM-L-12-v2');
const skip = !existsSync(join(tokenizerDir, 'tokenizer.json')) && `no shared tokenizer at ${tokenizerDir}`;

/** The fixture's weight shapes, by the names BertForSequenceClassification uses. */
function shapes(c: Reference['config']): Map<string, number[]> {
  const h = c.hidden_size;
  const m = new Map<string, number[]>([
    ['bert.embeddings.word_embeddings.weight', [c.vocab_size, h]],
    ['bert.embeddings.position_embeddings.weight', [c.max_position_embeddings, h]],
    ['bert.embeddings.token_type_embeddings.weight', [c.type_vocab_size, h]],
    ['bert.embeddings.LayerNorm.weight', [h]],
    ['bert.embeddings.LayerNorm.bias', [h]],
    ['bert.pooler.dense.weight', [h, h]],
    ['bert.pooler.dense.bias', [h]],
    ['classifier.weight', [c.num_labels, h]],
    ['classifier.bias', [c.num_labels]],
  ]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `bert.encoder.layer.${i}`;
    for (const name of [
      'attention.self.query',
      'attention.self.key',
      'attention.self.value',
      'attention.output.dense',
    ]) {
      m.set(`${p}.${name}.weight`, [h, h]);
      m.set(`${p}.${name}.bias`, [h]);
    }
    m.set(`${p}.intermediate.dense.weight`, [c.intermediate_size, h]);
    m.set(`${p}.intermediate.dense.bias`, [c.intermediate_size]);
    m.set(`${p}.output.dense.weight`, [h, c.intermediate_size]);
    m.set(`${p}.output.dense.bias`, [h]);
    for (const norm of ['attention.output.LayerNorm', 'output.LayerNorm']) {
      m.set(`${p}.${norm}.weight`, [h]);
      m.set(`${p}.${norm}.bias`, [h]);
    }
  }
  return m;
}

describe('cross-encoder ranker parity with transformers', { skip }, () => {
  let dir: string;
  let ranker: CrossEncoderRanker;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sift-ce-'));
    const all = shapes(reference.config);
    // Python sorts names as code points; so does this comparison.
    const names = [...all.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const tensors = names.map((name, t) => {
      const shape = all.get(name) ?? [];
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      const offset = name.endsWith('LayerNorm.weight') ? 1 : 0;
      for (let k = 0; k < data.length; k++) data[k] = offset + 0.3 * Math.sin(0.1 * k + 1.3 * t);
      return { name, shape, data };
    });
    await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
    await writeFile(join(dir, 'config.json'), JSON.stringify(reference.config));
    await copyFile(join(tokenizerDir, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    ranker = await loadCrossEncoder(dir, { id: 'tiny-cross-encoder', cacheGraph: false });
  });
  after(async () => {
    await ranker?.release();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scores each pair as BertForSequenceClassification does (|Δ| < 1e-5), alone and batched', async () => {
    for (const c of reference.cases) {
      const newline = c.document.indexOf('\n');
      const candidate = {
        id: c.query,
        title: c.document.slice(0, newline),
        text: c.document.slice(newline + 1),
      };
      const [score] = await ranker.score(c.query, [candidate]);
      assert.ok(Math.abs((score ?? 0) - c.logit) < 1e-5, `${c.query}: ${score} vs ${c.logit}`);
    }
    // Two candidates of different lengths for one query: padding must not change either score.
    const q = reference.cases[0];
    if (!q) return;
    const long = { id: 'long', title: 'A', text: 'padding words '.repeat(20) };
    const newline = q.document.indexOf('\n');
    const scores = await ranker.score(`${q.query} `, [
      { id: 'x', title: q.document.slice(0, newline), text: q.document.slice(newline + 1) },
      long,
    ]);
    assert.ok(Math.abs((scores[0] ?? 0) - q.logit) < 1e-5);
  });
});

describe('loadCrossEncoder on a non-BERT folder', () => {
  it('refuses an MPNet config with E_MODEL_CONFIG naming model_type, before reading any weights', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sift-ce-mpnet-'));
    try {
      const config = {
        model_type: 'mpnet',
        hidden_size: 32,
        num_attention_heads: 4,
        num_hidden_layers: 1,
        intermediate_size: 64,
        vocab_size: 100,
        max_position_embeddings: 66,
        pad_token_id: 1,
      };
      await writeFile(join(dir, 'config.json'), JSON.stringify(config));
      await assert.rejects(
        loadCrossEncoder(dir, { id: 'mpnet-pair' }),
        (e) =>
          isSiftError(e, 'E_MODEL_CONFIG') && e.context.field === 'model_type' && /mpnet/.test(e.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
