// The recovery fine-tune after pruning (compress/recover.ts), on the tiny formula-weight cross-encoder
// installed in a fresh SIFT_HOME and pruned there (random weights: the data it builds, the card and the
// install are checked here; bench/compress.ts measures what recovery gives real pruned rankers).

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pruneTrainedModel, recoverPrunedModel } from '../src/compress/index.js';
import { isSiftError } from '../src/errors.js';
import { installedTrainedModel, readTrainedModel } from '../src/models/index.js';
import { installTinyCrossEncoder } from './lib/installed-cross-encoder.js';
import { tinyCrossEncoderSkip } from './lib/tiny-cross-encoder.js';

const CRANFIELD = join(resolve(process.env.SIFT_SHARED ?? '../shared'), 'data', 'cranfield');

describe('recoverPrunedModel', { skip: tinyCrossEncoderSkip }, () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'sift-recover-'));
    await installTinyCrossEncoder(home, 'tiny-ce');
    await pruneTrainedModel({
      model: 'tiny-ce',
      out: 'tiny-pruned',
      calibration: [CRANFIELD],
      pairs: 24,
      mlp: 0.5,
      home,
      quiet: true,
    });
  });
  after(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("distils the unpruned model's order of BM25's candidates into the pruned one and installs it", async () => {
    const result = await recoverPrunedModel({
      pruned: 'tiny-pruned',
      out: 'tiny-recovered',
      collections: [CRANFIELD],
      candidates: 4,
      maxQueries: 5,
      home,
      quiet: true,
    });
    // Every one of cranfield's queries has four or more BM25 hits: four candidates for each of five queries.
    assert.deepEqual(
      { queries: result.examples.queries, train: result.examples.train },
      { queries: 5, train: 20 },
    );
    assert.ok(result.examples.dev > 0, 'dev examples from the hashed dev share of the training queries');
    assert.ok(result.steps >= 1);
    const folder = installedTrainedModel('tiny-recovered', home);
    assert.ok(folder, 'installed under --out');
    const card = await readTrainedModel('tiny-recovered', home);
    const pruned = await readTrainedModel('tiny-pruned', home);
    assert.equal(card?.base, 'tiny-pruned');
    assert.equal(card?.preset, 'recovered');
    assert.deepEqual(card?.['pruning'], pruned?.['pruning'], 'the pruning record carries over');
    const recovery = card?.['recovery'] as { teacher: string; candidates: number; collections: string[] };
    assert.equal(recovery.teacher, 'tiny-ce', "the teacher defaults to the pruned model's source");
    assert.equal(recovery.candidates, 4);
    assert.deepEqual(recovery.collections, ['cranfield']);
    // The pruned widths survive training: the recovered checkpoint is the pruned architecture.
    const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')) as {
      intermediate_size: number;
    };
    const prunedConfig = JSON.parse(
      await readFile(join(installedTrainedModel('tiny-pruned', home)!, 'config.json'), 'utf8'),
    ) as { intermediate_size: number };
    assert.equal(config.intermediate_size, prunedConfig.intermediate_size);
  });

  it('teaches on corpus titles as extra queries, each list without its titled document', async () => {
    const result = await recoverPrunedModel({
      pruned: 'tiny-pruned',
      out: 'tiny-recovered-titles',
      collections: [CRANFIELD],
      candidates: 4,
      maxQueries: 5,
      titleQueries: 3,
      home,
      quiet: true,
    });
    assert.equal(result.examples.queries, 8);
    // A title finds its own document first almost surely; that document is left out of its list.
    assert.ok(
      result.examples.train >= 20 + 3 * 3 && result.examples.train <= 20 + 3 * 4,
      `${result.examples.train} examples`,
    );
    const card = await readTrainedModel('tiny-recovered-titles', home);
    assert.ok(card, 'installed');
    assert.equal((card['recovery'] as { titleQueries: number }).titleQueries, 3);
  });

  it('refuses a model that records no source, and an unknown one', async () => {
    await assert.rejects(
      recoverPrunedModel({ pruned: 'tiny-ce', out: 'x', collections: [CRANFIELD], home, quiet: true }),
      (error: unknown) =>
        isSiftError(error) && error.code === 'E_BAD_ARGUMENT' && /records no source/.test(error.message),
    );
    await assert.rejects(
      recoverPrunedModel({ pruned: 'nope', out: 'x', collections: [CRANFIELD], home, quiet: true }),
      (error: unknown) =>
        isSiftError(error) && error.code === 'E_MODEL_UNKNOWN' && /"nope"/.test(error.message),
    );
    await assert.rejects(
      recoverPrunedModel({
        pruned: 'tiny-pruned',
        out: 'tiny-ce',
        collections: [CRANFIELD],
        home,
        quiet: true,
      }),
      (error: unknown) => isSiftError(error) && error.code === 'E_BAD_ARGUMENT',
    );
  });
});
