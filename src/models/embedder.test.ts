// Tests for loadEmbedder: parity with sentence-transformers on all-MiniLM-L6-v2 and all-mpnet-base-v2,
// batching, truncation, errors.
//
// The real models come from SIFT_HOME/models (CI pulls them with `sift models pull`);
// without it those tests skip. The error and caching tests use a tiny random BERT with the shared
// MiniLM tokenizer; random weights check plumbing only, never embedding quality.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cosine } from '../../test/lib/cosine.js';
import { modelFileSkip } from '../../test/lib/model-skip.js';
import { isSiftError } from '../errors.js';
import { sharedDir, siftPaths } from '../util/index.js';
import { type Embedder, loadEmbedder } from './embedder.js';
import { encodeSafetensors } from './safetensors.js';

interface ReferenceCase {
  index: number;
  text: string;
  num_tokens: number;
  truncated: boolean;
  input_ids: number[];
  embedding: number[];
}

/** A pulled model and its reference fixture, the cases (empty when skipped) and why the tests skip, if they do. */
function reference(id: string, fixture: string) {
  const dir = join(siftPaths().models, id);
  const path = new URL(`../../../test/fixtures/${fixture}`, import.meta.url);
  const skip =
    modelFileSkip(join(dir, 'model.safetensors'), id) ||
    (!existsSync(path) && `test/fixtures/${fixture} is missing`);
  const cases: ReferenceCase[] = skip ? [] : JSON.parse(readFileSync(path, 'utf8')).cases;
  return { dir, skip, cases };
}

const { dir: modelDir, skip: noModel, cases } = reference('all-minilm-l6-v2', 'minilm-l6-reference.json');
const texts = cases.map((c) => c.text);

const sharedTokenizer = join(sharedDir(), 'tokenizers', 'all-MiniLM-L6-v2');
const noTokenizer =
  !existsSync(join(sharedTokenizer, 'tokenizer.json')) && `no shared tokenizer at ${sharedTokenizer}`;

function row(data: Float32Array, index: number, dimension: number): Float32Array {
  return data.subarray(index * dimension, (index + 1) * dimension);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

describe('all-MiniLM-L6-v2 against sentence-transformers', { skip: noModel }, () => {
  let fp32: Embedder;
  before(async () => {
    fp32 = await loadEmbedder(modelDir, { id: 'all-minilm-l6-v2', threads: 2 });
  });
  after(() => fp32?.release());

  it('feeds the model the reference token ids, truncated at 256', () => {
    const ids = fp32.tokenize(texts);
    cases.forEach((c, i) => {
      assert.deepEqual([...(ids[i] ?? [])], c.input_ids, `case ${c.index}`);
    });
    assert.ok(cases.some((c) => c.truncated && c.num_tokens === 256));
  });

  it('matches the fp32 reference embeddings (cosine ≥ 0.9999, components within 1e-5)', async () => {
    assert.equal(fp32.dimension, 384);
    assert.equal(fp32.normalized, true);
    const out = await fp32.encode(texts);
    cases.forEach((c, i) => {
      const mine = row(out, i, 384);
      assert.ok(cosine(mine, c.embedding) >= 0.9999, `case ${c.index}: cosine ${cosine(mine, c.embedding)}`);
      assert.ok(
        maxAbsDiff(mine, c.embedding) < 1e-5,
        `case ${c.index}: max |Δ| ${maxAbsDiff(mine, c.embedding)}`,
      );
    });
  });

  it('stays within cosine 0.99 of the reference with int8 weights', async () => {
    const int8 = await loadEmbedder(modelDir, { id: 'all-minilm-l6-v2', dtype: 'int8', threads: 2 });
    try {
      assert.equal(int8.dtype, 'int8');
      const out = await int8.encode(texts);
      cases.forEach((c, i) => {
        const similarity = cosine(row(out, i, 384), c.embedding);
        assert.ok(similarity >= 0.99, `case ${c.index}: cosine ${similarity}`);
      });
    } finally {
      await int8.release();
    }
  });

  it('gives the same vectors one text at a time as in mixed-length batches, in input order', async () => {
    const single = await loadEmbedder(modelDir, { id: 'all-minilm-l6-v2', batchSize: 1, threads: 2 });
    try {
      const few = texts.slice(0, 8);
      const batched = await fp32.encode(few);
      const alone = await single.encode(few);
      assert.ok(maxAbsDiff(batched, alone) < 1e-5);
      const reversed = await fp32.encode([...few].reverse());
      for (let i = 0; i < few.length; i++) {
        assert.ok(maxAbsDiff(row(reversed, few.length - 1 - i, 384), row(batched, i, 384)) < 1e-5);
      }
    } finally {
      await single.release();
    }
  });

  it('truncates at maxLength, keeping [CLS] … [SEP]', async () => {
    const short = await loadEmbedder(modelDir, { id: 'all-minilm-l6-v2', maxLength: 16, threads: 2 });
    try {
      // Cases 7 and 9 start with the same job posting, so their first 14 word pieces agree.
      const [a, b] = short.tokenize([cases[7]?.text ?? '', cases[9]?.text ?? '']);
      assert.equal(a?.length, 16);
      assert.equal(a?.[0], 101);
      assert.equal(a?.[15], 102);
      assert.deepEqual([...(a ?? [])], [...(b ?? [])]);
      const out = await short.encode([cases[7]?.text ?? '', cases[9]?.text ?? '']);
      assert.ok(maxAbsDiff(row(out, 0, 384), row(out, 1, 384)) < 1e-6);
    } finally {
      await short.release();
    }
  });

  it('returns an empty matrix for no texts', async () => {
    assert.equal((await fp32.encode([])).length, 0);
  });
});

const {
  dir: mpnetDir,
  skip: noMpnet,
  cases: mpnetCases,
} = reference('all-mpnet-base-v2', 'mpnet-base-reference.json');

// MPNet: no token types, positions from pad_token_id + 1, and a relative-position bias in every layer.
describe('all-mpnet-base-v2 against sentence-transformers', { skip: noMpnet }, () => {
  let mpnet: Embedder;
  before(async () => {
    // No maxLength: the folder's sentence_bert_config.json (384) must be what applies.
    mpnet = await loadEmbedder(mpnetDir, { id: 'all-mpnet-base-v2', threads: 2 });
  });
  after(() => mpnet?.release());

  it('feeds the model the reference token ids (<s> … </s>), truncated at 384', () => {
    assert.equal(mpnet.maxLength, 384);
    const ids = mpnet.tokenize(mpnetCases.map((c) => c.text));
    mpnetCases.forEach((c, i) => {
      assert.deepEqual([...(ids[i] ?? [])], c.input_ids, `case ${c.index}`);
    });
    assert.ok(mpnetCases.some((c) => c.truncated && c.num_tokens === 384));
  });

  it('matches the fp32 reference embeddings (cosine ≥ 0.9999, components within 1e-5)', async (t) => {
    assert.equal(mpnet.dimension, 768);
    // Lengths up to 384 reach every relative-position bucket, beyond the 128 where buckets stop growing.
    const out = await mpnet.encode(mpnetCases.map((c) => c.text));
    let worstCosine = 1;
    let worstComponent = 0;
    mpnetCases.forEach((c, i) => {
      const mine = row(out, i, 768);
      const similarity = cosine(mine, c.embedding);
      const difference = maxAbsDiff(mine, c.embedding);
      assert.ok(similarity >= 0.9999, `case ${c.index}: cosine ${similarity}`);
      assert.ok(difference < 1e-5, `case ${c.index}: max |Δ| ${difference}`);
      worstCosine = Math.min(worstCosine, similarity);
      worstComponent = Math.max(worstComponent, difference);
    });
    t.diagnostic(
      `worst cosine 1 − ${(1 - worstCosine).toExponential(1)}, max |Δ| ${worstComponent.toExponential(1)}`,
    );
  });
});

// ---- a tiny random BERT folder, for errors and the graph cache ----

const VOCAB = 30522;
const HIDDEN = 32;

async function writeTinyModel(dir: string): Promise<void> {
  let seed = 11;
  const next = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647 - 0.5;
  };
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  const add = (name: string, shape: number[], offset = 0) => {
    const size = shape.reduce((a, b) => a * b, 1);
    tensors.push({ name, shape, data: Float32Array.from({ length: size }, () => offset + next() * 0.4) });
  };
  add('embeddings.word_embeddings.weight', [VOCAB, HIDDEN]);
  add('embeddings.position_embeddings.weight', [64, HIDDEN]);
  add('embeddings.token_type_embeddings.weight', [2, HIDDEN]);
  add('embeddings.LayerNorm.weight', [HIDDEN], 1);
  add('embeddings.LayerNorm.bias', [HIDDEN]);
  for (let l = 0; l < 2; l++) {
    const p = `encoder.layer.${l}`;
    for (const part of [
      'attention.self.query',
      'attention.self.key',
      'attention.self.value',
      'attention.output.dense',
    ]) {
      add(`${p}.${part}.weight`, [HIDDEN, HIDDEN]);
      add(`${p}.${part}.bias`, [HIDDEN]);
    }
    add(`${p}.intermediate.dense.weight`, [64, HIDDEN]);
    add(`${p}.intermediate.dense.bias`, [64]);
    add(`${p}.output.dense.weight`, [HIDDEN, 64]);
    add(`${p}.output.dense.bias`, [HIDDEN]);
    for (const norm of ['attention.output.LayerNorm', 'output.LayerNorm']) {
      add(`${p}.${norm}.weight`, [HIDDEN], 1);
      add(`${p}.${norm}.bias`, [HIDDEN]);
    }
  }
  const config = {
    model_type: 'bert',
    hidden_size: HIDDEN,
    num_attention_heads: 4,
    num_hidden_layers: 2,
    intermediate_size: 64,
    vocab_size: VOCAB,
    max_position_embeddings: 64,
    type_vocab_size: 2,
    hidden_act: 'gelu',
  };
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
}

describe('loadEmbedder on a tiny random BERT', { skip: noTokenizer }, () => {
  let dir: string;
  const options = { id: 'tiny', tokenizerDir: sharedTokenizer, maxLength: 64, threads: 1 };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sift-embedder-'));
    await writeTinyModel(dir);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('embeds, caches the built graph beside the weights, and loads it from there next time', async () => {
    const first = await loadEmbedder(dir, options);
    assert.equal(first.dimension, HIDDEN);
    const path = first.graphPath ?? '';
    assert.ok(path.startsWith(dir) && path.endsWith('.onnx'));
    const before = await stat(path);
    const vectors = await first.encode(['hello world', 'a longer sentence about search']);
    await first.release();
    const norms = [0, 1].map((i) => Math.hypot(...row(vectors, i, HIDDEN)));
    for (const n of norms) assert.ok(Math.abs(n - 1) < 1e-5);

    const second = await loadEmbedder(dir, options);
    assert.equal(second.graphPath, path);
    assert.equal((await stat(path)).mtimeMs, before.mtimeMs, 'the cached graph was not rewritten');
    assert.ok(
      maxAbsDiff(await second.encode(['hello world', 'a longer sentence about search']), vectors) < 1e-6,
    );
    await second.release();
  });

  it('caches fp32 and int8 graphs separately and rebuilds a corrupt cached graph', async () => {
    const int8 = await loadEmbedder(dir, { ...options, dtype: 'int8' });
    const graphs = (await readdir(dir)).filter((f) => f.startsWith('sift-graph-'));
    assert.equal(graphs.length, 2);
    const path = int8.graphPath ?? '';
    await int8.release();
    await writeFile(path, 'not a model');
    const again = await loadEmbedder(dir, { ...options, dtype: 'int8' });
    assert.equal(again.graphPath, path);
    assert.equal((await again.encode(['x'])).length, HIDDEN);
    await again.release();
  });

  it('reports a missing weights file as E_MODEL_FILE', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'sift-embedder-'));
    try {
      await assert.rejects(loadEmbedder(empty, options), (e: unknown) => isSiftError(e, 'E_MODEL_FILE'));
      await writeFile(join(empty, 'config.json'), readFileSync(join(dir, 'config.json')));
      await assert.rejects(
        loadEmbedder(empty, options),
        (e: unknown) => isSiftError(e, 'E_MODEL_FILE') && /model\.safetensors/.test(e.message),
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('reports a truncated safetensors file as E_MODEL_LOAD naming the file', async () => {
    const broken = await mkdtemp(join(tmpdir(), 'sift-embedder-'));
    try {
      await writeFile(join(broken, 'config.json'), readFileSync(join(dir, 'config.json')));
      const weights = readFileSync(join(dir, 'model.safetensors'));
      await writeFile(join(broken, 'model.safetensors'), weights.subarray(0, weights.byteLength - 1000));
      await assert.rejects(
        loadEmbedder(broken, options),
        (e: unknown) => isSiftError(e, 'E_MODEL_LOAD') && /model\.safetensors/.test(e.message),
      );
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });

  it('refuses a maxLength beyond the position table', async () => {
    await assert.rejects(loadEmbedder(dir, { ...options, maxLength: 65 }), (e: unknown) =>
      isSiftError(e, 'E_BAD_ARGUMENT'),
    );
  });
});
