// Pruning a cross-encoder folder end to end on a tiny random BERT (random weights: this checks shapes,
// the written checkpoint and score parity, not quality): heads, MLP neurons and a layer removed; the
// folder's config says so; sift's ONNX Runtime ranker scores the written checkpoint exactly as the
// training engine's forward pass of the same checkpoint; OSSCAR's per-block error is never above
// magnitude pruning's; bad input is refused with E_PRUNE.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CalibrationPair, pruneCrossEncoderFolder } from '../src/compress/index.js';
import { isSiftError } from '../src/errors.js';
import { bertWeights, loadTokenizer, readBertConfig, readSafetensors } from '../src/models/index.js';
import { loadCrossEncoder } from '../src/rank/index.js';
import {
  type CrossEncoderHead,
  CrossEncoderModel,
  tokenBatch,
  writeModelFolder,
} from '../src/train/index.js';
import { writeTinyBert } from '../src/train/tiny-bert.fixture.js';
import { Mulberry32 } from '../src/util/index.js';

const pairs: CalibrationPair[] = [
  {
    query: 'boundary layer transition',
    title: 'Transition',
    text: 'experiments on boundary layer transition at supersonic speeds over flat plates',
  },
  {
    query: 'heat transfer in hypersonic flow',
    title: '',
    text: 'the heat transfer rate to a blunt body in hypersonic flow was measured in a shock tunnel',
  },
  {
    query: 'buckling of cylindrical shells',
    title: 'Shells',
    text: 'buckling loads of thin cylindrical shells under axial compression and external pressure',
  },
  {
    query: 'wing flutter',
    title: '',
    text: 'flutter of swept wings at transonic mach numbers: theory and wind tunnel tests',
  },
  {
    query: 'laminar separation',
    title: 'Separation',
    text: 'laminar separation bubbles near the leading edge of thin airfoils at low reynolds number',
  },
  {
    query: 'skin friction',
    title: '',
    text: 'measurements of turbulent skin friction on a flat plate with zero pressure gradient',
  },
];

async function crossEncoderFolder(dir: string, head: CrossEncoderHead = 'classifier'): Promise<void> {
  const tiny = `${dir}-base`;
  await writeTinyBert(tiny, 5);
  const { config, text } = await readBertConfig(tiny);
  const weights = bertWeights(await readSafetensors(join(tiny, 'model.safetensors')), config);
  const model = CrossEncoderModel.fromWeights(weights, config, { labels: 1, rng: new Mulberry32(9), head });
  await writeModelFolder(dir, { params: model.parameters(), config: text, tokenizerDir: tiny });
}

/** Scores of a folder's checkpoint from the training engine's forward pass. */
async function engineScores(dir: string): Promise<number[]> {
  const { config } = await readBertConfig(dir);
  const weights = bertWeights(await readSafetensors(join(dir, 'model.safetensors')), config);
  const model = CrossEncoderModel.fromWeights(weights, config, { labels: 1, rng: new Mulberry32(0) });
  const tokenizer = await loadTokenizer(dir, { maxLength: 64 });
  const encoded = tokenizer.encodePairs(
    pairs.map((p) => p.query),
    pairs.map((p) => (p.title === '' ? p.text : `${p.title}\n${p.text}`)),
    { maxLength: 64, truncation: 'only_second' },
  );
  const batch = tokenBatch(
    encoded.ids.map((ids, i) => ({
      ids: Int32Array.from(ids),
      typeIds: Int32Array.from(encoded.typeIds[i]!),
    })),
    pairs.map((_, i) => i),
  );
  return [...model.forward(batch)];
}

describe('pruneCrossEncoderFolder (tiny random BERT)', () => {
  let work: string;
  let base: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'sift-prune-'));
    base = join(work, 'ce');
    await crossEncoderFolder(base);
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('removes heads, neurons and a layer, writes a config that says so, and scores the same in ONNX Runtime', async () => {
    const out = join(work, 'pruned');
    const result = await pruneCrossEncoderFolder({
      modelDir: base,
      outDir: out,
      calibration: pairs,
      maxLength: 64,
      mlp: 0.5,
      heads: 0.5,
      dropLayers: 1,
    });
    assert.equal(result.layersBefore, 2);
    assert.equal(result.layersAfter, 1);
    assert.ok(result.after.nonEmbedding < result.before.nonEmbedding / 2, JSON.stringify(result.after));
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(config['num_hidden_layers'], 1);
    assert.equal(config['intermediate_size'], 16);
    assert.equal(config['num_attention_heads'], 2, 'head_dim must still derive from it');
    const pruned = config['pruned_heads'] as Record<string, number[]>;
    assert.equal(pruned['0']?.length, 1);
    // Per block, OSSCAR reconstructs at least as well as magnitude pruning on the same inputs.
    assert.equal(result.layers.length, 2);
    for (const report of result.layers) {
      assert.ok(report.relativeError <= report.magnitudeRelativeError + 1e-12, JSON.stringify(report));
      assert.ok(report.tokens > 0);
    }
    // Parity: ONNX Runtime on the written checkpoint vs the engine's forward pass of it.
    const ranker = await loadCrossEncoder(out, { id: 'pruned', maxLength: 64, cacheGraph: false });
    // Each pair has its own query; the ranker takes one query per call, so score pair by pair.
    const perPair: number[] = [];
    for (const p of pairs)
      perPair.push((await ranker.score(p.query, [{ id: 'x', title: p.title, text: p.text }]))[0]!);
    const engine = await engineScores(out);
    perPair.forEach((s, i) => {
      assert.ok(Math.abs(s - engine[i]!) < 1e-4, `pair ${i}: onnx ${s} engine ${engine[i]}`);
    });
  });

  it("prunes a similarity-head model: the head's tensors are kept and ONNX Runtime scores as the engine", async () => {
    const similar = join(work, 'similar');
    await crossEncoderFolder(similar, 'similarity');
    const out = join(work, 'similar-pruned');
    await pruneCrossEncoderFolder({
      modelDir: similar,
      outDir: out,
      calibration: pairs,
      maxLength: 64,
      mlp: 0.5,
      dropLayers: 1,
    });
    const { config } = await readBertConfig(out);
    const weights = bertWeights(await readSafetensors(join(out, 'model.safetensors')), config);
    assert.deepEqual(weights.similarity, { scale: 20, bias: 0 });
    assert.equal(weights.classifier, undefined);
    const ranker = await loadCrossEncoder(out, { id: 'similar-pruned', maxLength: 64, cacheGraph: false });
    const perPair: number[] = [];
    for (const p of pairs)
      perPair.push((await ranker.score(p.query, [{ id: 'x', title: p.title, text: p.text }]))[0]!);
    await ranker.release();
    const engine = await engineScores(out);
    perPair.forEach((s, i) => {
      assert.ok(Math.abs(s - engine[i]!) < 1e-4, `pair ${i}: onnx ${s} engine ${engine[i]}`);
    });
  });

  it('refuses fractions outside [0, 1), too many dropped layers, and a model without a pair head', async () => {
    const isPrune = (e: unknown) => isSiftError(e) && e.code === 'E_PRUNE';
    const common = { modelDir: base, outDir: join(work, 'bad'), calibration: pairs, maxLength: 64 };
    await assert.rejects(pruneCrossEncoderFolder({ ...common, mlp: 1 }), isPrune);
    await assert.rejects(pruneCrossEncoderFolder({ ...common, heads: -0.1 }), isPrune);
    await assert.rejects(pruneCrossEncoderFolder({ ...common, dropLayers: 2 }), isPrune);
    await assert.rejects(
      pruneCrossEncoderFolder({ ...common, modelDir: `${base}-base`, mlp: 0.5 }),
      /no pair head \(classifier or similarity\)/,
    );
  });

  it('warns with the rank bound when the calibration set has fewer tokens than a layer has inputs', async () => {
    const result = await pruneCrossEncoderFolder({
      modelDir: base,
      outDir: join(work, 'small'),
      calibration: [{ query: 'flutter', title: '', text: 'wings' }],
      maxLength: 64,
      mlp: 0.5,
    });
    assert.ok(
      result.warnings.some((w) => /rank ≤ \d+/.test(w)),
      result.warnings.join('\n'),
    );
  });
});
