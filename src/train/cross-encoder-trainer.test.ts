// The cross-encoder trainer end to end on a tiny random BERT and real Cranfield pairs: the checkpoint loads
// in sift's CrossEncoderRanker and scores as the trained model does; kill -9 and resume ends with the same
// weights as an uninterrupted run; a NaN loss stops at the last good checkpoint; a full disk while
// checkpointing leaves the previous checkpoint valid.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isSiftError } from '../errors.js';
import { bertWeights, loadTokenizer, readBertConfig, readSafetensors } from '../models/index.js';
import { loadCrossEncoder } from '../rank/index.js';
import { Mulberry32, sharedDir, siftPaths } from '../util/index.js';
import { tokenBatch } from './batches.js';
import { beirExamples } from './beir-examples.js';
import { CrossEncoderModel } from './bert-model.js';
import { type CheckpointIo, durableIo, latestCheckpoint } from './checkpoint.js';
import { trainCrossEncoder } from './cross-encoder-trainer.js';
import type { TrainingExample } from './examples.js';
import { bceWithLogits } from './losses.js';
import { TINY_TOKENIZER_DIR, writeTinyBert } from './tiny-bert.fixture.js';

const cranfield = join(sharedDir(), 'data', 'cranfield');
const skip =
  (!existsSync(join(TINY_TOKENIZER_DIR, 'tokenizer.json')) &&
    `no shared tokenizer at ${TINY_TOKENIZER_DIR}`) ||
  (!existsSync(join(cranfield, 'corpus.jsonl')) && `no Cranfield at ${cranfield}`);

/** The pairs tokenised as the trainer and the ranker read them (query whole, document cut at 48). */
async function encodeAsTrained(dir: string, query: string, pairs: readonly TrainingExample[]) {
  const tokenizer = await loadTokenizer(dir, { maxLength: 48 });
  const encoded = tokenizer.encodePairs(
    pairs.map(() => query),
    pairs.map((e) => (e.title.trim() === '' ? e.text : `${e.title}\n${e.text}`)),
    { maxLength: 48, truncation: 'only_second' },
  );
  return encoded.ids.map((ids, i) => ({
    ids: Int32Array.from(ids),
    typeIds: Int32Array.from(encoded.typeIds[i]!),
  }));
}

const small = { batchSize: 4, maxLength: 48, learningRate: 1e-3, warmupRatio: 0.25, quiet: true } as const;

describe('trainCrossEncoder (tiny BERT, Cranfield pairs)', { skip }, () => {
  let work: string;
  let modelDir: string;
  let train: TrainingExample[];
  let dev: TrainingExample[];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'sift-train-'));
    modelDir = join(work, 'tiny');
    await writeTinyBert(modelDir);
    train = (await beirExamples(cranfield, { split: 'train' })).slice(0, 32);
    dev = (await beirExamples(cranfield, { split: 'dev' })).slice(0, 16);
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('trains, evaluates on dev, and writes a folder that CrossEncoderRanker scores as the trained model does', async () => {
    const outDir = join(work, 'run');
    const result = await trainCrossEncoder({
      modelDir,
      outDir,
      train,
      dev,
      ...small,
      epochs: 2,
      evalEvery: 4,
    });
    assert.equal(result.steps, 16);
    assert.ok(result.losses.every(Number.isFinite));
    assert.ok(result.dev.length >= 4 && result.dev.every((d) => d.ndcg10 >= 0 && d.ndcg10 <= 1));
    assert.equal(await latestCheckpoint(outDir), result.lastCheckpoint);

    const dir = result.lastCheckpoint;
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(config['architectures'], ['BertForSequenceClassification']);
    const ranker = await loadCrossEncoder(dir, { id: 'trained', cacheGraph: false, maxLength: 48 });
    const pairs = dev.slice(0, 5);
    const query = pairs[0]!.query;
    const scores = await ranker.score(
      query,
      pairs.map((e) => ({ id: e.docId, title: e.title, text: e.text })),
    );
    await ranker.release();

    // The same pairs through the TypeScript model loaded from the checkpoint.
    const { config: parsed } = await readBertConfig(dir);
    const weights = bertWeights(await readSafetensors(join(dir, 'model.safetensors')), parsed);
    const model = CrossEncoderModel.fromWeights(weights, parsed, { rng: new Mulberry32(0) });
    const encodedPairs = await encodeAsTrained(dir, query, pairs);
    pairs.forEach((_, i) => {
      const logit = model.forward(tokenBatch(encodedPairs, [i]))[0]!;
      assert.ok(Math.abs(scores[i]! - logit) < 1e-4, `pair ${i}: ranker ${scores[i]} vs trainer ${logit}`);
    });
  });

  it('with the similarity head: the checkpoint is a BertModel with similarity.*, and the ranker scores as the engine does', async () => {
    const result = await trainCrossEncoder({
      modelDir,
      outDir: join(work, 'similarity'),
      train,
      ...small,
      head: 'similarity',
      loss: 'listwise',
      epochs: 1,
    });
    assert.ok(result.losses.every(Number.isFinite));
    const dir = result.lastCheckpoint;
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(config['architectures'], ['BertModel']);
    assert.equal(config['sift_pair_head'], 'similarity');
    const { config: parsed } = await readBertConfig(dir);
    const weights = bertWeights(await readSafetensors(join(dir, 'model.safetensors')), parsed);
    assert.equal(weights.classifier, undefined);
    // The scale moved off its start: the head's own parameters are trained.
    assert.ok(weights.similarity && weights.similarity.scale !== 20, `scale ${weights.similarity?.scale}`);

    const pairs = dev.slice(0, 6);
    const query = pairs[0]!.query;
    const ranker = await loadCrossEncoder(dir, { id: 'similarity', cacheGraph: false, maxLength: 48 });
    const scores = await ranker.score(
      query,
      pairs.map((e) => ({ id: e.docId, title: e.title, text: e.text })),
    );
    await ranker.release();
    // The engine keeps the checkpoint's head whatever head it is asked to add.
    const model = CrossEncoderModel.fromWeights(weights, parsed, {
      rng: new Mulberry32(0),
      head: 'classifier',
    });
    const encodedPairs = await encodeAsTrained(dir, query, pairs);
    const logits = model.forward(
      tokenBatch(
        encodedPairs,
        pairs.map((_, i) => i),
      ),
    );
    pairs.forEach((_, i) => {
      assert.ok(
        Math.abs(scores[i]! - logits[i]!) < 1e-4,
        `pair ${i}: ranker ${scores[i]} vs trainer ${logits[i]}`,
      );
    });
    // Scores differ between pairs: the head reads each pair's own segments.
    assert.ok(new Set([...scores].map((x) => x.toFixed(5))).size > 1);
  });

  it('trains listwise over whole queries: the loss falls on the training queries and dev is scored', async () => {
    const result = await trainCrossEncoder({
      modelDir,
      outDir: join(work, 'listwise'),
      train,
      dev,
      ...small,
      loss: 'listwise',
      epochs: 6,
      evalEvery: 0,
    });
    assert.ok(result.losses.every(Number.isFinite));
    const perEpoch = result.steps / 6;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(result.losses.slice(0, perEpoch));
    const last = mean(result.losses.slice(-perEpoch));
    assert.ok(last < first, `listwise loss ${first.toFixed(4)} → ${last.toFixed(4)}`);
    assert.equal(result.dev.length, 1);
    assert.ok(Number.isFinite(result.dev[0]!.loss));
  });

  it('a new head learns at headLearningRate while the pretrained encoder keeps learningRate', async () => {
    const result = await trainCrossEncoder({
      modelDir,
      outDir: join(work, 'head-lr'),
      train,
      ...small,
      warmupRatio: 0,
      weightDecay: 0,
      learningRate: 1e-5,
      headLearningRate: 1e-2,
      maxSteps: 1,
    });
    assert.equal(result.steps, 1);
    const { config } = await readBertConfig(modelDir);
    const before = CrossEncoderModel.fromWeights(
      bertWeights(await readSafetensors(join(modelDir, 'model.safetensors')), config),
      config,
      { rng: new Mulberry32(42) },
    );
    const trained = await readSafetensors(join(result.lastCheckpoint, 'model.safetensors'));
    const moved = (name: string) => {
      const start = before.parameters().find((p) => p.name === name)!.data;
      const end = trained.tensor(name).data as Float32Array;
      let most = 0;
      for (let i = 0; i < start.length; i++) most = Math.max(most, Math.abs(end[i]! - start[i]!));
      return most;
    };
    // Adam's first step moves each weight by about its learning rate (|m̂ / √v̂| ≤ 1).
    assert.deepEqual(before.newParameters.map((p) => p.name).sort(), [
      'bert.pooler.dense.bias',
      'bert.pooler.dense.weight',
      'classifier.bias',
      'classifier.weight',
    ]);
    assert.ok(moved('classifier.weight') > 5e-3, `classifier moved ${moved('classifier.weight')}`);
    assert.ok(moved('classifier.weight') <= 1e-2 + 1e-6);
    const query = before.parameters().find((p) => /layer\.0\.attention\.self\.query\.weight$/.test(p.name))!;
    const encoder = moved(query.name);
    assert.ok(encoder > 0 && encoder <= 1e-5 + 1e-7, `encoder moved ${encoder}`);
  });

  it('accumulates gradients: two half batches give the gradient of the whole batch; steps count whole groups', async () => {
    const { config } = await readBertConfig(modelDir);
    const weights = bertWeights(await readSafetensors(join(modelDir, 'model.safetensors')), config);
    const tokenizer = await loadTokenizer(modelDir, { maxLength: 48 });
    const rows = train.slice(0, 8);
    const encoded = tokenizer.encodePairs(
      rows.map((e) => e.query),
      rows.map((e) => e.text),
      { maxLength: 48, truncation: 'only_second' },
    );
    const pairs = encoded.ids.map((ids, i) => ({
      ids: Int32Array.from(ids),
      typeIds: Int32Array.from(encoded.typeIds[i]!),
    }));
    const targets = rows.map((e) => e.gradeNormalized);
    const gradients = (groups: number[][]) => {
      const model = CrossEncoderModel.fromWeights(weights, config, { rng: new Mulberry32(9) });
      for (const group of groups) {
        const { grad } = bceWithLogits(
          model.forward(tokenBatch(pairs, group)),
          group.map((r) => targets[r]!),
        );
        model.backward(grad.map((g) => g / groups.length));
      }
      return model.parameters().map((p) => p.grad);
    };
    const whole = gradients([[0, 1, 2, 3, 4, 5, 6, 7]]);
    const halves = gradients([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    whole.forEach((g, i) => {
      const h = halves[i]!;
      let scale = 1e-12;
      let diff = 0;
      for (let j = 0; j < g.length; j++) {
        scale = Math.max(scale, Math.abs(g[j]!));
        diff = Math.max(diff, Math.abs(g[j]! - h[j]!));
      }
      assert.ok(diff / scale < 1e-4, `parameter ${i}: relative difference ${diff / scale}`);
    });
    const result = await trainCrossEncoder({
      modelDir,
      outDir: join(work, 'accumulate'),
      train,
      ...small,
      accumulation: 2,
    });
    assert.equal(result.steps, 4, '8 micro-batches of 4 in groups of 2');
  });

  it('resumes after kill -9 with the same result as an uninterrupted run', async () => {
    // Dropout on, so the resumed run must also restore the dropout RNG to match.
    const options = { ...small, epochs: 2, checkpointEvery: 3, dropout: 0.1 };
    const whole = await trainCrossEncoder({ modelDir, outDir: join(work, 'whole'), train, ...options });
    const outDir = join(work, 'killed');
    const examplesFile = join(work, 'examples.json');
    await writeFile(examplesFile, JSON.stringify(train));
    const child = fileURLToPath(new URL('./train-child.fixture.js', import.meta.url));
    const run = spawnSync(
      process.execPath,
      [child, JSON.stringify({ modelDir, outDir, examplesFile, killAt: 11, options })],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(run.signal, 'SIGKILL', run.stderr);
    assert.match((await latestCheckpoint(outDir)) ?? '', /step-0000009$/);
    const resumed = await trainCrossEncoder({ modelDir, outDir, train, ...options });
    assert.ok(resumed.resumed);
    assert.equal(resumed.steps, whole.steps);
    assert.deepEqual(resumed.losses, whole.losses);
    const a = await readFile(join(whole.lastCheckpoint, 'model.safetensors'));
    const b = await readFile(join(resumed.lastCheckpoint, 'model.safetensors'));
    assert.ok(a.equals(b), 'the resumed weights differ from the uninterrupted run');
  });

  it('stops on a NaN loss and keeps the last good checkpoint', async () => {
    const outDir = join(work, 'nan');
    const poisoned = train.map((e) => ({ ...e }));
    await assert.rejects(
      trainCrossEncoder({
        modelDir,
        outDir,
        train: poisoned,
        ...small,
        checkpointEvery: 2,
        onStep: (step) => {
          // After step 2 (checkpointed), every target becomes NaN: step 3's loss is NaN.
          if (step === 2) for (const e of poisoned) e.gradeNormalized = Number.NaN;
        },
      }),
      (error) =>
        isSiftError(error, 'E_TRAIN_DIVERGED') &&
        String(error.context['checkpoint']).endsWith('step-0000002'),
    );
    const latest = await latestCheckpoint(outDir);
    assert.match(latest ?? '', /step-0000002$/);
    const ranker = await loadCrossEncoder(latest!, { id: 'nan', cacheGraph: false });
    const [score] = await ranker.score('wing flutter', [{ id: 'd', title: '', text: 'flutter of wings' }]);
    assert.ok(Number.isFinite(score));
    await ranker.release();
  });

  it('keeps the previous checkpoint valid when the disk fills while checkpointing', async () => {
    const outDir = join(work, 'full');
    let checkpoints = 0;
    const fullDisk: CheckpointIo = {
      async writeFile(path, data) {
        if (path.endsWith('model.safetensors') && ++checkpoints === 2) {
          await durableIo.writeFile(path, typeof data === 'string' ? data : data.subarray(0, 100));
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        }
        await durableIo.writeFile(path, data);
      },
    };
    await assert.rejects(
      trainCrossEncoder({ modelDir, outDir, train, ...small, checkpointEvery: 2, io: fullDisk }),
      (error) => isSiftError(error, 'E_IO') && /disk is full/.test(error.message),
    );
    assert.match((await latestCheckpoint(outDir)) ?? '', /step-0000002$/);
    assert.deepEqual(
      await readdir(join(outDir, 'checkpoints')),
      ['step-0000002'],
      'no half-written folder is left',
    );
    const ranker = await loadCrossEncoder((await latestCheckpoint(outDir))!, {
      id: 'full',
      cacheGraph: false,
    });
    await ranker.release();
  });
});

const miniLm = join(siftPaths().models, 'all-minilm-l6-v2');
const noMiniLm = !existsSync(join(miniLm, 'model.safetensors')) && `all-minilm-l6-v2 is not in ${miniLm}`;

describe('trainCrossEncoder from all-MiniLM-L6-v2', { skip: skip || noMiniLm }, () => {
  it('initialises from the bi-encoder weights with a new head, trains and scores through CrossEncoderRanker', async () => {
    const work = await mkdtemp(join(tmpdir(), 'sift-train-minilm-'));
    try {
      const train = (await beirExamples(cranfield, { split: 'train' })).slice(0, 8);
      const result = await trainCrossEncoder({
        modelDir: miniLm,
        outDir: work,
        train,
        batchSize: 4,
        maxLength: 32,
        quiet: true,
      });
      assert.equal(result.steps, 2);
      const file = await readSafetensors(join(result.lastCheckpoint, 'model.safetensors'));
      for (const name of [
        'bert.embeddings.word_embeddings.weight',
        'bert.pooler.dense.weight',
        'classifier.weight',
      ])
        assert.ok(file.has(name), name);
      assert.deepEqual(file.float32('classifier.weight').shape, [1, 384]);
      const ranker = await loadCrossEncoder(result.lastCheckpoint, {
        id: 'minilm-ce',
        cacheGraph: false,
        maxLength: 32,
      });
      const scores = await ranker.score(train[0]!.query, [
        { id: 'a', title: train[0]!.title, text: train[0]!.text },
        { id: 'b', title: '', text: 'a recipe for lemon cake' },
      ]);
      await ranker.release();
      assert.ok(scores.every(Number.isFinite) && scores[0] !== scores[1]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
