// A bi-encoder sift trained is an embedder, not a ranker: `--embedder <id>` opens it with its base model's
// settings, its vectors are keyed by the install (a retrained model never reuses the old one's vectors),
// and `--rerank <id>` refuses it by name. The model is a tiny random BERT trained for two steps: what is
// tested is the lookup, not the quality.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSiftError } from '../src/errors.js';
import {
  installedTrainedIds,
  installedTrainedKind,
  installTrainedModel,
  openEmbedder,
  type TrainedModelCard,
} from '../src/models/index.js';
import { listRankers, openRanker } from '../src/rank/index.js';
import { beirExamples, trainBiEncoder } from '../src/train/index.js';
import { writeTinyBert } from '../src/train/tiny-bert.fixture.js';
import { sharedDir } from '../src/util/index.js';

describe('trained bi-encoders as embedders', () => {
  let home: string;
  let checkpoint: string;
  const previousHome = process.env.SIFT_HOME;
  const card = (): TrainedModelCard => ({
    version: 1,
    id: 'my-bi',
    kind: 'bi-encoder',
    preset: 'bi-encoder',
    base: 'all-minilm-l6-v2',
    createdAt: new Date().toISOString(),
    settings: { maxLength: 48 },
  });

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'sift-home-bi-'));
    process.env.SIFT_HOME = home;
    await writeTinyBert(join(home, 'tiny'));
    const train = (await beirExamples(join(sharedDir(), 'data', 'cranfield'), { split: 'train' })).slice(
      0,
      40,
    );
    const result = await trainBiEncoder({
      modelDir: join(home, 'tiny'),
      outDir: join(home, 'run'),
      train,
      maxLength: 48,
      maxSteps: 2,
      quiet: true,
    });
    checkpoint = result.lastCheckpoint;
    await installTrainedModel(checkpoint, card(), home);
  });
  after(async () => {
    if (previousHome === undefined) delete process.env.SIFT_HOME;
    else process.env.SIFT_HOME = previousHome;
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('opens as an embedder whose id names the install, and a new install gets a new id', async () => {
    assert.equal(installedTrainedKind('my-bi', home), 'bi-encoder');
    assert.deepEqual(installedTrainedIds(home, 'bi-encoder'), ['my-bi']);
    assert.deepEqual(installedTrainedIds(home, 'cross-encoder'), []);
    const embedder = await openEmbedder('my-bi', { home, quiet: true });
    const vectors = await embedder.encode(['wing flutter at supersonic speeds'], 'query');
    assert.equal(vectors.length, embedder.dimension);
    assert.ok(Math.abs(Math.hypot(...vectors) - 1) < 1e-4, 'vectors are normalised, as the base model');
    const first = embedder.id;
    await embedder.release();
    assert.match(first, /^my-bi#/);

    await new Promise((done) => setTimeout(done, 5));
    await installTrainedModel(checkpoint, card(), home);
    const again = await openEmbedder('my-bi', { home, quiet: true });
    assert.notEqual(again.id, first);
    await again.release();
  });

  it('is refused as a ranker by name, and rankers do not list it', async () => {
    assert.ok(!listRankers().includes('my-bi'));
    await assert.rejects(
      openRanker('my-bi'),
      (error) => isSiftError(error, 'E_MODEL_KIND') && /--embedder/.test(error.message),
    );
  });

  it('names the command that trains the preset bi-encoder when it is not trained here', async () => {
    await assert.rejects(
      openEmbedder('sift-bi-minilm-l6', { home, quiet: true }),
      (error) => isSiftError(error, 'E_MODEL_NOT_TRAINED') && /--preset bi-encoder/.test(error.message),
    );
  });
});
