// The bi-encoder trainer end to end on a tiny random BERT and real Cranfield pairs: the loss falls when the
// same queries are seen again, the starting model's dev nDCG@10 is the bar, the checkpoint embeds in
// sift's inference graph exactly as the trained model does, a stopped run resumes to the uninterrupted
// run's weights, and a label set without positives is refused.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSiftError } from '../errors.js';
import { embeddingText } from '../index/index.js';
import {
  bertWeights,
  loadEmbedder,
  loadTokenizer,
  readBertConfig,
  readSafetensors,
} from '../models/index.js';
import { sharedDir } from '../util/index.js';
import { tokenBatch } from './batches.js';
import { beirExamples } from './beir-examples.js';
import { BertEncoder } from './bert-model.js';
import { BiEncoderModel, trainBiEncoder } from './bi-encoder-trainer.js';
import { latestCheckpoint } from './checkpoint.js';
import type { TrainingExample } from './examples.js';
import { TINY_TOKENIZER_DIR, writeTinyBert } from './tiny-bert.fixture.js';

const cranfield = join(sharedDir(), 'data', 'cranfield');
const skip =
  (!existsSync(join(TINY_TOKENIZER_DIR, 'tokenizer.json')) &&
    `no shared tokenizer at ${TINY_TOKENIZER_DIR}`) ||
  (!existsSync(join(cranfield, 'corpus.jsonl')) && `no Cranfield at ${cranfield}`);

const small = { maxLength: 48, learningRate: 1e-3, warmupRatio: 0, quiet: true, queriesPerBatch: 4 } as const;

describe('trainBiEncoder (tiny BERT, Cranfield pairs)', { skip }, () => {
  let work: string;
  let modelDir: string;
  let train: TrainingExample[];
  let dev: TrainingExample[];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'sift-train-bi-'));
    modelDir = join(work, 'tiny');
    await writeTinyBert(modelDir);
    const all = await beirExamples(cranfield, { split: 'train' });
    // Four queries, each with a positive (grade > 1): one batch per epoch.
    const queries = [...new Set(all.filter((e) => e.grade > 1).map((e) => e.queryId))].slice(0, 4);
    train = all.filter((e) => queries.includes(e.queryId));
    dev = (await beirExamples(cranfield, { split: 'dev' })).slice(0, 24);
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('learns: the loss on the same queries falls, and every epoch is evaluated after the starting model', async () => {
    const result = await trainBiEncoder({
      modelDir,
      outDir: join(work, 'learn'),
      train,
      dev,
      ...small,
      epochs: 8,
      patience: 100,
    });
    assert.equal(result.steps, 8);
    assert.ok(result.losses.every(Number.isFinite));
    // Each epoch draws other positives and negatives, so compare the first two steps with the last two.
    const first = (result.losses[0]! + result.losses[1]!) / 2;
    const last = (result.losses[6]! + result.losses[7]!) / 2;
    assert.ok(last < first, `loss ${first.toFixed(4)} → ${last.toFixed(4)}`);
    assert.deepEqual(
      result.dev.map((d) => d.step),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
    const best = Math.max(...result.dev.map((d) => d.ndcg10));
    assert.equal(result.bestDevNdcg10, best);
    assert.match(
      result.bestCheckpoint,
      new RegExp(`step-${String(result.dev.find((d) => d.ndcg10 === best)!.step).padStart(7, '0')}$`),
    );
  });

  it('writes a folder that sift embeds exactly as the trained model does', async () => {
    const result = await trainBiEncoder({
      modelDir,
      outDir: join(work, 'parity'),
      train,
      ...small,
      epochs: 2,
    });
    const dir = result.lastCheckpoint;
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(config['architectures'], ['BertModel']);
    const embedder = await loadEmbedder(dir, {
      id: 'trained',
      maxLength: 48,
      pooling: 'mean',
      normalize: true,
      cacheGraph: false,
    });
    const texts = train.slice(0, 4).map((e) => embeddingText(e));
    const served = await embedder.encode(texts, 'document');
    await embedder.release();

    const { config: parsed } = await readBertConfig(dir);
    const model = new BiEncoderModel(
      BertEncoder.fromWeights(
        bertWeights(await readSafetensors(join(dir, 'model.safetensors')), parsed),
        parsed,
      ),
    );
    const tokenizer = await loadTokenizer(dir, { maxLength: 48 });
    const tokens = tokenizer.encodeBatch(texts, { maxLength: 48 }).ids.map((ids) => ({
      ids: Int32Array.from(ids),
      typeIds: new Int32Array(ids.length),
    }));
    const width = model.encoder.hidden;
    texts.forEach((_, i) => {
      const v = model.forward(tokenBatch(tokens, [i]));
      const norm = Math.hypot(...v);
      let worst = 0;
      for (let j = 0; j < width; j++)
        worst = Math.max(worst, Math.abs(v[j]! / norm - served[i * width + j]!));
      assert.ok(worst < 1e-4, `text ${i}: served and trained embeddings differ by ${worst}`);
    });
  });

  it('resumes a crashed run to the weights of an uninterrupted one', async () => {
    const options = { ...small, epochs: 3, dropout: 0.1 };
    const whole = await trainBiEncoder({ modelDir, outDir: join(work, 'whole'), train, dev, ...options });
    const outDir = join(work, 'stopped');
    // A crash in the third step: the last checkpoint is the one that ended the second epoch.
    const crash = (step: number) => {
      if (step === 3) throw new Error('crash');
    };
    await assert.rejects(
      trainBiEncoder({ modelDir, outDir, train, dev, ...options, onStep: crash }),
      /crash/,
    );
    assert.match((await latestCheckpoint(outDir)) ?? '', /step-0000002$/);
    const resumed = await trainBiEncoder({ modelDir, outDir, train, dev, ...options });
    assert.ok(resumed.resumed);
    assert.deepEqual(resumed.losses, whole.losses);
    const a = await readFile(join(whole.lastCheckpoint, 'model.safetensors'));
    const b = await readFile(join(resumed.lastCheckpoint, 'model.safetensors'));
    assert.ok(a.equals(b), 'the resumed weights differ from the uninterrupted run');
  });

  it('refuses a label set without a positive, naming the grade', async () => {
    const negatives = train.map((e) => ({ ...e, grade: Math.min(e.grade, 1) }));
    await assert.rejects(
      trainBiEncoder({ modelDir, outDir: join(work, 'none'), train: negatives, ...small }),
      (error) => isSiftError(error, 'E_TRAIN_DATA') && /graded above 1/.test(error.message),
    );
  });
});
