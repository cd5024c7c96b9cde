// Checks the BERT graph builder against a plain-JavaScript forward pass on tiny random weights.
//
// Random weights test wiring and numerics only (shapes, masks, pruned layers, pooling, heads); they say
// nothing about embedding quality, which the parity test in embedder.test.ts covers with real weights.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cosine } from '../../../test/lib/cosine.js';
import { isSiftError } from '../../errors.js';
import { createSession, tensor } from '../../runtime/index.js';
import { mulberry32 as random } from '../../util/index.js';
import { preferredWeightType } from '../quantize.js';
import { encodeSafetensors, type FloatTensor, parseSafetensors } from '../safetensors.js';
import { type BertConfig, parseBertConfig } from './config.js';
import { type BertGraphOptions, buildBertEncoderGraph, relativePositionBucket } from './graph.js';
import type { WeightSource } from './weights.js';

const HIDDEN = 32;
const HEADS = 4;
const HEAD_DIM = HIDDEN / HEADS;
const VOCAB = 50;
const POSITIONS = 16;
const LABELS = 3;

/** Layer widths: layer 1 is "pruned" to 2 heads and 40 MLP neurons, so shapes must come from the weights. */
const LAYERS = [
  { heads: 4, intermediate: 64 },
  { heads: 2, intermediate: 40 },
];

const config: BertConfig = parseBertConfig(
  {
    model_type: 'bert',
    hidden_size: HIDDEN,
    num_attention_heads: HEADS,
    num_hidden_layers: 2,
    intermediate_size: 64,
    vocab_size: VOCAB,
    max_position_embeddings: POSITIONS,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    hidden_act: 'gelu',
  },
  'config.json',
);

type Weights = Map<string, { shape: number[]; data: Float32Array }>;

function tinyBert(seed = 7): Weights {
  const next = random(seed);
  const weights: Weights = new Map();
  const add = (name: string, shape: number[], scale = 0.3, offset = 0) => {
    const size = shape.reduce((a, b) => a * b, 1);
    weights.set(name, {
      shape,
      data: Float32Array.from({ length: size }, () => offset + (next() * 2 - 1) * scale),
    });
  };
  add('bert.embeddings.word_embeddings.weight', [VOCAB, HIDDEN], 1);
  add('bert.embeddings.position_embeddings.weight', [POSITIONS, HIDDEN], 0.5);
  add('bert.embeddings.token_type_embeddings.weight', [2, HIDDEN], 0.5);
  add('bert.embeddings.LayerNorm.weight', [HIDDEN], 0.2, 1);
  add('bert.embeddings.LayerNorm.bias', [HIDDEN], 0.1);
  LAYERS.forEach(({ heads, intermediate }, i) => {
    const p = `bert.encoder.layer.${i}`;
    const width = heads * HEAD_DIM;
    for (const part of ['query', 'key', 'value']) {
      add(`${p}.attention.self.${part}.weight`, [width, HIDDEN]);
      add(`${p}.attention.self.${part}.bias`, [width], 0.1);
    }
    add(`${p}.attention.output.dense.weight`, [HIDDEN, width]);
    add(`${p}.attention.output.dense.bias`, [HIDDEN], 0.1);
    add(`${p}.attention.output.LayerNorm.weight`, [HIDDEN], 0.2, 1);
    add(`${p}.attention.output.LayerNorm.bias`, [HIDDEN], 0.1);
    add(`${p}.intermediate.dense.weight`, [intermediate, HIDDEN]);
    add(`${p}.intermediate.dense.bias`, [intermediate], 0.1);
    add(`${p}.output.dense.weight`, [HIDDEN, intermediate]);
    add(`${p}.output.dense.bias`, [HIDDEN], 0.1);
    add(`${p}.output.LayerNorm.weight`, [HIDDEN], 0.2, 1);
    add(`${p}.output.LayerNorm.bias`, [HIDDEN], 0.1);
  });
  add('bert.pooler.dense.weight', [HIDDEN, HIDDEN]);
  add('bert.pooler.dense.bias', [HIDDEN], 0.1);
  add('classifier.weight', [LABELS, HIDDEN]);
  add('classifier.bias', [LABELS], 0.1);
  return weights;
}

function source(weights: Weights): WeightSource {
  return {
    file: 'tiny-bert',
    names: [...weights.keys()],
    has: (name) => weights.has(name),
    float32: (name): FloatTensor => {
      const w = weights.get(name);
      if (!w) throw new Error(`no ${name}`);
      return { name, shape: w.shape, data: w.data };
    },
  };
}

// ---- the reference forward pass, in float64 ----

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), enough for a 1e-4 comparison. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

type Matrix = number[][];

function w(weights: Weights, name: string): Float32Array {
  const t = weights.get(name);
  if (!t) throw new Error(`no ${name}`);
  return t.data;
}

/** x·Wᵀ + b for W stored [out, in]. */
function dense(x: Matrix, weights: Weights, base: string): Matrix {
  const W = w(weights, `${base}.weight`);
  const b = w(weights, `${base}.bias`);
  const out = b.length;
  return x.map((row) =>
    Array.from({ length: out }, (_, o) => {
      let sum = b[o] ?? 0;
      for (let i = 0; i < row.length; i++) sum += (row[i] ?? 0) * (W[o * row.length + i] ?? 0);
      return sum;
    }),
  );
}

function layerNorm(x: Matrix, weights: Weights, base: string): Matrix {
  const gamma = w(weights, `${base}.weight`);
  const beta = w(weights, `${base}.bias`);
  return x.map((row) => {
    const mean = row.reduce((a, b) => a + b, 0) / row.length;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
    return row.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-12)) * (gamma[i] ?? 0) + (beta[i] ?? 0));
  });
}

const add = (a: Matrix, b: Matrix): Matrix => a.map((row, i) => row.map((v, j) => v + (b[i]?.[j] ?? 0)));

/** One sequence through the encoder; returns the last hidden state [sequence][hidden]. */
function referenceEncoder(weights: Weights, ids: number[], types: number[], mask: number[]): Matrix {
  const row = (name: string, index: number) =>
    Array.from(w(weights, name).subarray(index * HIDDEN, (index + 1) * HIDDEN));
  let x: Matrix = ids.map((id, t) => {
    const word = row('bert.embeddings.word_embeddings.weight', id);
    const position = row('bert.embeddings.position_embeddings.weight', t);
    const type = row('bert.embeddings.token_type_embeddings.weight', types[t] ?? 0);
    return word.map((v, i) => v + (position[i] ?? 0) + (type[i] ?? 0));
  });
  x = layerNorm(x, weights, 'bert.embeddings.LayerNorm');
  LAYERS.forEach(({ heads }, l) => {
    const p = `bert.encoder.layer.${l}`;
    const q = dense(x, weights, `${p}.attention.self.query`);
    const k = dense(x, weights, `${p}.attention.self.key`);
    const v = dense(x, weights, `${p}.attention.self.value`);
    const context: Matrix = x.map(() => new Array(heads * HEAD_DIM).fill(0));
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < x.length; i++) {
        const scores = x.map((_, j) => {
          let dot = 0;
          for (let d = 0; d < HEAD_DIM; d++)
            dot += (q[i]?.[h * HEAD_DIM + d] ?? 0) * (k[j]?.[h * HEAD_DIM + d] ?? 0);
          return dot / Math.sqrt(HEAD_DIM) + (1 - (mask[j] ?? 0)) * -10000;
        });
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const total = exps.reduce((a, b) => a + b, 0);
        for (let j = 0; j < x.length; j++) {
          for (let d = 0; d < HEAD_DIM; d++) {
            const target = context[i];
            const at = h * HEAD_DIM + d;
            if (target) target[at] = (target[at] ?? 0) + ((exps[j] ?? 0) / total) * (v[j]?.[at] ?? 0);
          }
        }
      }
    }
    const h1 = layerNorm(
      add(dense(context, weights, `${p}.attention.output.dense`), x),
      weights,
      `${p}.attention.output.LayerNorm`,
    );
    const inner = dense(h1, weights, `${p}.intermediate.dense`).map((r) =>
      r.map((z) => 0.5 * z * (1 + erf(z / Math.SQRT2))),
    );
    x = layerNorm(add(dense(inner, weights, `${p}.output.dense`), h1), weights, `${p}.output.LayerNorm`);
  });
  return x;
}

function meanPool(hidden: Matrix, mask: number[]): number[] {
  const count = mask.reduce((a, b) => a + b, 0);
  return Array.from(
    { length: HIDDEN },
    (_, i) => hidden.reduce((sum, row, t) => sum + (row[i] ?? 0) * (mask[t] ?? 0), 0) / count,
  );
}

function normalize(v: number[]): number[] {
  const norm = Math.sqrt(v.reduce((a, b) => a + b * b, 0));
  return v.map((x) => x / norm);
}

// ---- running the graph ----

/** Three rows of different lengths (padding), one with segment ids 1, as one batch. */
const BATCH = [
  { ids: [2, 17, 33, 8, 41, 3], types: [0, 0, 0, 0, 0, 0] },
  { ids: [2, 5, 3], types: [0, 0, 0] },
  { ids: [2, 49, 12, 3, 30], types: [0, 0, 0, 1, 1] },
];
const SEQUENCE = 6;

function masks(): number[][] {
  return BATCH.map(({ ids }) => Array.from({ length: SEQUENCE }, (_, t) => (t < ids.length ? 1 : 0)));
}

async function run(
  bytes: Uint8Array,
): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const session = await createSession(bytes, { intraOpThreads: 1 });
  const size = BATCH.length * SEQUENCE;
  const ids = new BigInt64Array(size);
  const types = new BigInt64Array(size);
  const mask = new BigInt64Array(size);
  BATCH.forEach((row, b) => {
    row.ids.forEach((id, t) => {
      ids[b * SEQUENCE + t] = BigInt(id);
      types[b * SEQUENCE + t] = BigInt(row.types[t] ?? 0);
      mask[b * SEQUENCE + t] = 1n;
    });
  });
  const dims = [BATCH.length, SEQUENCE];
  const out = await session.run({
    input_ids: tensor('int64', ids, dims),
    attention_mask: tensor('int64', mask, dims),
    token_type_ids: tensor('int64', types, dims),
  });
  await session.release();
  const result: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
  for (const [name, t] of Object.entries(out)) result[name] = { data: t.data as Float32Array, dims: t.dims };
  return result;
}

function referenceHidden(weights: Weights): Matrix[] {
  // Padded rows run through the reference too: the graph computes them (masked as keys) and so can we.
  return BATCH.map((row, b) => {
    const ids = Array.from({ length: SEQUENCE }, (_, t) => row.ids[t] ?? 0);
    const types = Array.from({ length: SEQUENCE }, (_, t) => row.types[t] ?? 0);
    return referenceEncoder(weights, ids, types, masks()[b] ?? []);
  });
}

function maxAbsDiff(actual: ArrayLike<number>, expected: number[]): number {
  assert.equal(actual.length, expected.length);
  let max = 0;
  for (let i = 0; i < expected.length; i++)
    max = Math.max(max, Math.abs((actual[i] ?? Number.NaN) - (expected[i] ?? 0)));
  return max;
}

describe('buildBertEncoderGraph (tiny random BERT)', () => {
  const weights = tinyBert();
  const hidden = referenceHidden(weights);
  const pooled = hidden.map((h, b) => normalize(meanPool(h, masks()[b] ?? [])));

  for (const attention of ['ops', 'fused'] as const) {
    it(`matches the JS forward pass with pruned layers and padding (${attention} attention)`, async () => {
      const options: BertGraphOptions = {
        pooling: 'mean',
        normalize: true,
        lastHiddenState: true,
        attention,
      };
      const out = await run(buildBertEncoderGraph(config, source(weights), options));
      assert.deepEqual(out['last_hidden_state']?.dims, [BATCH.length, SEQUENCE, HIDDEN]);
      assert.deepEqual(out['sentence_embedding']?.dims, [BATCH.length, HIDDEN]);
      assert.ok(maxAbsDiff(out['last_hidden_state']?.data ?? [], hidden.flat(2)) < 1e-4);
      assert.ok(maxAbsDiff(out['sentence_embedding']?.data ?? [], pooled.flat()) < 1e-5);
    });
  }

  it('pools the first token with pooling "cls" and leaves it unnormalised', async () => {
    const out = await run(
      buildBertEncoderGraph(config, source(weights), { pooling: 'cls', normalize: false }),
    );
    assert.ok(
      maxAbsDiff(
        out['sentence_embedding']?.data ?? [],
        hidden.flatMap((h) => h[0] ?? []),
      ) < 1e-4,
    );
    assert.equal(out['last_hidden_state'], undefined);
  });

  it('computes cross-encoder logits = classifier(tanh(pooler(h_CLS)))', async () => {
    const out = await run(
      buildBertEncoderGraph(config, source(weights), {
        pooling: 'none',
        normalize: false,
        head: 'classifier',
      }),
    );
    const expected = hidden.flatMap((h) => {
      const cls = [h[0] ?? []];
      const pooledCls = dense(cls, weights, 'bert.pooler.dense').map((r) => r.map(Math.tanh));
      return dense(pooledCls, weights, 'classifier')[0] ?? [];
    });
    assert.deepEqual(out['logits']?.dims, [BATCH.length, LABELS]);
    assert.ok(maxAbsDiff(out['logits']?.data ?? [], expected) < 1e-4);
  });

  it("computes sift's similarity head: scale·cos(mean of segment 0, mean of segment 1) + bias", async () => {
    const similar: Weights = new Map(weights);
    similar.delete('classifier.weight');
    similar.delete('classifier.bias');
    similar.set('similarity.scale', { shape: [1], data: Float32Array.of(17.5) });
    similar.set('similarity.bias', { shape: [1], data: Float32Array.of(-0.25) });
    const out = await run(
      buildBertEncoderGraph(config, source(similar), {
        pooling: 'none',
        normalize: false,
        head: 'classifier',
      }),
    );
    const expected = hidden.map((h, b) => {
      const row = BATCH[b]!;
      const segment = (type: number) =>
        meanPool(
          h,
          h.map((_, t) => (t < row.ids.length && row.types[t] === type ? 1 : 0)),
        );
      const [q, d] = [segment(0), segment(1)];
      const dot = q.reduce((s, x, j) => s + x * (d[j] ?? 0), 0);
      const norms = Math.sqrt(q.reduce((s, x) => s + x * x, 0) * d.reduce((s, x) => s + x * x, 0));
      // Rows without a second segment have no direction to compare: cos is 0, the logit the bias.
      return 17.5 * (norms > 0 ? dot / norms : 0) - 0.25;
    });
    assert.deepEqual(out['logits']?.dims, [BATCH.length, 1]);
    assert.ok(maxAbsDiff(out['logits']?.data ?? [], expected) < 1e-4);
    assert.ok(Math.abs((out['logits']?.data[2] ?? 0) + 0.25) > 1e-3, 'the two-segment row is scored');
  });

  for (const weightType of ['uint8', 'int8'] as const) {
    const exact = weightType === 'uint8' || preferredWeightType() === 'int8';
    it(`stays close with int8 weights (${weightType} storage)`, {
      skip: !exact && 'uint8×int8 kernels saturate on this CPU (no VNNI); sift stores uint8 here',
    }, async () => {
      const options: BertGraphOptions = {
        pooling: 'mean',
        normalize: true,
        quantize: 'int8',
        quantizeFfnOutput: true,
        weightType,
      };
      const out = await run(buildBertEncoderGraph(config, source(weights), options));
      const data = out['sentence_embedding']?.data ?? new Float32Array();
      pooled.forEach((expected, b) => {
        const c = cosine(data.subarray(b * HIDDEN, (b + 1) * HIDDEN), expected);
        assert.ok(c > 0.99, `row ${b}: cosine ${c}`);
      });
    });
  }

  it('reads weights from safetensors bytes with the HF names', async () => {
    const bytes = encodeSafetensors(
      [...weights].map(([name, t]) => ({ name, shape: t.shape, data: t.data })),
    );
    const file = parseSafetensors(bytes, 'tiny.safetensors');
    const out = await run(buildBertEncoderGraph(config, file, { pooling: 'mean', normalize: true }));
    assert.ok(maxAbsDiff(out['sentence_embedding']?.data ?? [], pooled.flat()) < 1e-5);
  });

  it('names the missing tensor when the weights are incomplete', () => {
    const partial = new Map(weights);
    partial.delete('bert.encoder.layer.1.output.dense.weight');
    assert.throws(
      () => buildBertEncoderGraph(config, source(partial), { pooling: 'mean', normalize: true }),
      (e: unknown) => isSiftError(e, 'E_MODEL_LOAD') && /layer\.1\.output\.dense\.weight/.test(e.message),
    );
  });

  it('refuses a config the builder cannot build', () => {
    assert.throws(
      () => parseBertConfig({ model_type: 'bert', hidden_size: 32, num_attention_heads: 5 }, 'config.json'),
      (e: unknown) => isSiftError(e, 'E_MODEL_CONFIG'),
    );
    assert.throws(
      () => parseBertConfig({ model_type: 'llama' }, 'config.json'),
      (e: unknown) => isSiftError(e, 'E_MODEL_CONFIG') && /llama/.test(e.message),
    );
  });
});

describe('relativePositionBucket (MPNet / T5 buckets, 32 of them)', () => {
  it('keeps distances under 8 exact, one half of the buckets per direction', () => {
    for (let d = 0; d < 8; d++) {
      assert.equal(relativePositionBucket(-d, 32), d, `key ${d} before the query`);
      if (d > 0) assert.equal(relativePositionBucket(d, 32), 16 + d, `key ${d} after the query`);
    }
  });

  it('grows logarithmically to 128 and stays in the last bucket beyond', () => {
    // Powers of two sit exactly on bucket boundaries (log ratios 1/4, 1/2, 3/4): float32 rounding in the
    // reference must not move them.
    assert.equal(relativePositionBucket(-16, 32), 10);
    assert.equal(relativePositionBucket(-32, 32), 12);
    assert.equal(relativePositionBucket(-64, 32), 14);
    assert.equal(relativePositionBucket(-127, 32), 15);
    assert.equal(relativePositionBucket(-128, 32), 15);
    assert.equal(relativePositionBucket(-5000, 32), 15);
    assert.equal(relativePositionBucket(5000, 32), 31);
    let previous = 0;
    for (let d = 0; d < 600; d++) {
      const bucket = relativePositionBucket(-d, 32);
      assert.ok(bucket >= previous && bucket <= 15, `distance ${d}: bucket ${bucket}`);
      previous = bucket;
    }
  });
});
