// Parity of the cross-encoder ranker with transformers' BertForSequenceClassification.
//
// test/fixtures/cross-encoder-reference.json was made once by a script outside the repo (see
// test/fixtures/README.md): a tiny BERT pair classifier (2 layers, hidden 32, the real 30,522-token
// vocabulary) whose every weight follows a formula, so no weights are stored: this test rebuilds the
// same safetensors from the formula (test/lib/tiny-cross-encoder.ts). Random-looking weights check the plumbing (pair tokenization,
// segment ids, the classifier head), never ranking quality: no pretrained cross-encoder is obtainable here.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { reference, tinyCrossEncoderSkip, writeTinyCrossEncoder } from '../../test/lib/tiny-cross-encoder.js';
import { isSiftError } from '../errors.js';
import { type CrossEncoderRanker, loadCrossEncoder } from './cross-encoder-ranker.js';

const skip = tinyCrossEncoderSkip;

/** A reference case's document ("title\ntext") as a candidate. */
function candidateOf(c: { query: string; document: string }) {
  const newline = c.document.indexOf('\n');
  return { id: c.query, title: c.document.slice(0, newline), text: c.document.slice(newline + 1) };
}

describe('cross-encoder ranker parity with transformers', { skip }, () => {
  let dir: string;
  let ranker: CrossEncoderRanker;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sift-ce-'));
    await writeTinyCrossEncoder(dir);
    ranker = await loadCrossEncoder(dir, { id: 'tiny-cross-encoder', cacheGraph: false });
  });
  after(async () => {
    await ranker?.release();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scores each pair as BertForSequenceClassification does (|Δ| < 1e-5), alone and batched', async () => {
    for (const c of reference.cases) {
      const [score] = await ranker.score(c.query, [candidateOf(c)]);
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

describe('int8 cross-encoder', { skip }, () => {
  it('scores each reference pair within 0.05 of the float32 logit, and not identically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sift-ce-'));
    await writeTinyCrossEncoder(dir);
    const fp32 = await loadCrossEncoder(dir, { id: 'tiny', cacheGraph: false });
    const int8 = await loadCrossEncoder(dir, { id: 'tiny:int8', cacheGraph: false, dtype: 'int8' });
    try {
      for (const c of reference.cases) {
        const [a] = await fp32.score(c.query, [candidateOf(c)]);
        const [b] = await int8.score(c.query, [candidateOf(c)]);
        // Dynamic int8 quantisation (per-tensor activation scales) moves a logit by hundredths.
        assert.ok(Math.abs((a ?? 0) - (b ?? 0)) < 0.05, `${c.query}: ${a} vs ${b}`);
        assert.notEqual(a, b, 'the int8 graph is not the float32 one');
      }
    } finally {
      await fp32.release();
      await int8.release();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('cross-encoder token counts', { skip }, () => {
  it('counts each pair as it is fed to the model: query and candidate, cut to the model length', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sift-ce-'));
    await writeTinyCrossEncoder(dir);
    const ranker = await loadCrossEncoder(dir, { id: 'tiny-cross-encoder', cacheGraph: false });
    try {
      const short = { id: 's', title: '', text: 'heat' };
      const long = { id: 'l', title: 'A', text: 'padding words '.repeat(2000) };
      const [a, b] = ranker.tokensFor('boundary layer', [short, long]);
      assert.ok(a! > 3 && a! < 10, String(a));
      assert.ok(b! > a!);
      assert.ok(b! <= 512, String(b));
    } finally {
      await ranker.release();
      await rm(dir, { recursive: true, force: true });
    }
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
