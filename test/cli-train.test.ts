// The training contract, end to end through the CLI: `sift train --preset default` makes registry id
// sift-ce-minilm-l6 from the committed label sets, and `sift eval --collection DIR --mode hybrid
// --rerank sift-ce-minilm-l6 --json F` uses it. A few steps only (the full preset takes minutes on two
// cores; bench/distill.ts runs it and measures the model): what is checked here is the form, the
// model card, resuming, and the clear error before the model exists.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { committedLabelSets, MIN_JUDGE_KAPPA } from '../src/train/index.js';
import { sha256File } from '../src/util/file-hash.js';
import { homeBorrowing } from './lib/borrowed-home.js';
import { modelSkip } from './lib/model-skip.js';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const CRANFIELD = join(resolve(process.env.SIFT_SHARED ?? '../shared'), 'data', 'cranfield');
const BASE = 'all-minilm-l6-v2';

/** A fresh SIFT_HOME that borrows the pulled base model, so nothing trained here reaches the real one. */
const homeWithBase = () => homeBorrowing([BASE]);

test('sift train --preset default → sift-ce-minilm-l6, used by sift eval --rerank', {
  timeout: 20 * 60_000,
}, async (t) => {
  const skip = modelSkip(BASE);
  if (skip) return t.skip(skip);
  const home = await homeWithBase();
  // The trained model is hundreds of MB: a run must not leave it behind.
  t.after(() => rm(home, { recursive: true, force: true }));
  const env = { ...process.env, SIFT_HOME: home };
  const options = { env, maxBuffer: 1 << 24 };

  await assert.rejects(
    run(
      SIFT,
      ['eval', '--collection', CRANFIELD, '--mode', 'bm25', '--rerank', 'sift-ce-minilm-l6', '--quiet'],
      options,
    ),
    (error: { stderr: string }) =>
      /not trained here yet: run `sift train --preset default`/.test(error.stderr),
  );

  const cardFile = join(home, 'card.json');
  const trained = await run(
    SIFT,
    ['train', '--preset', 'default', '--max-steps', '2', '--json', cardFile, '--quiet'],
    options,
  );
  assert.match(trained.stdout, /sift-ce-minilm-l6: trained 2 steps on \d+ examples \(\d+ dev\)/);
  const card = JSON.parse(await readFile(cardFile, 'utf8')) as {
    id: string;
    base: string;
    data: { name: string; sha256: string; examples: number }[];
    examples: { train: number; dev: number };
    steps: number;
    excluded?: { name: string }[];
  };
  assert.equal(card.id, 'sift-ce-minilm-l6');
  assert.equal(card.base, BASE);
  assert.equal(card.steps, 2);
  // Only the sets whose judge agrees with people teach; the others are named in the card with why.
  const committed = committedLabelSets();
  const sets = committed.filter((s) => !s.audit || s.audit.kappaLinear >= MIN_JUDGE_KAPPA);
  const left = committed.filter((s) => !sets.includes(s));
  assert.deepEqual(
    card.data.map((d) => d.name),
    sets.map((s) => s.name),
  );
  assert.deepEqual(
    (card.excluded ?? []).map((e) => e.name),
    left.map((s) => s.name),
  );
  for (const [i, set] of sets.entries()) assert.equal(card.data[i]!.sha256, await sha256File(set.file));
  assert.equal(
    card.examples.train + card.examples.dev,
    card.data.reduce((sum, d) => sum + d.examples, 0),
  );
  const folder = join(home, 'models', 'trained', 'sift-ce-minilm-l6');
  const files = await readdir(folder);
  for (const file of ['config.json', 'model.safetensors', 'tokenizer.json', 'sift-model.json'])
    assert.ok(files.includes(file), `${file} in ${files.join(', ')}`);
  assert.ok(!files.includes('optimizer.safetensors'), 'optimizer state is not part of the model');
  const weights = await sha256File(join(folder, 'model.safetensors'));

  // The same command again continues the same run (already complete): same weights, nothing retrained.
  const again = await run(SIFT, ['train', '--preset', 'default', '--max-steps', '2', '--quiet'], options);
  assert.match(again.stdout, /resumed/);
  assert.equal(await sha256File(join(folder, 'model.safetensors')), weights);

  const report = join(home, 'eval.json');
  const evaluated = await run(
    SIFT,
    [
      'eval',
      '--collection',
      CRANFIELD,
      '--mode',
      'hybrid',
      '--rerank',
      'sift-ce-minilm-l6',
      '--split',
      'test',
      '--max-queries',
      '2',
      '--rerank-depth',
      '20',
      '--json',
      report,
      '--quiet',
    ],
    options,
  );
  assert.match(evaluated.stdout, /hybrid → sift-ce-minilm-l6@20/);
  const metrics = JSON.parse(await readFile(report, 'utf8')) as {
    queries: number;
    metrics: Record<string, number>;
  };
  assert.equal(metrics.queries, 2);
  assert.ok(Number.isFinite(metrics.metrics['ndcg@10']));
  assert.ok(existsSync(join(home, 'train', 'sift-ce-minilm-l6')), 'the run folder stays for resuming');
});

test('sift train --preset bi-encoder → sift-bi-minilm-l6, used by sift eval --embedder and refused by --rerank', {
  timeout: 20 * 60_000,
}, async (t) => {
  const skip = modelSkip(BASE);
  if (skip) return t.skip(skip);
  const home = await homeWithBase();
  t.after(() => rm(home, { recursive: true, force: true }));
  const options = { env: { ...process.env, SIFT_HOME: home }, maxBuffer: 1 << 24 };
  const evalArgs = ['eval', '--collection', CRANFIELD, '--split', 'test', '--max-queries', '2', '--quiet'];

  await assert.rejects(
    run(SIFT, [...evalArgs, '--mode', 'dense', '--embedder', 'sift-bi-minilm-l6'], options),
    (error: { stderr: string }) =>
      /not trained here yet: run `sift train --preset bi-encoder`/.test(error.stderr),
  );
  await assert.rejects(
    run(SIFT, ['train', '--preset', 'bi-encoder', '--loss', 'bce', '--quiet'], options),
    (error: { stderr: string }) => /one loss/.test(error.stderr),
  );
  await assert.rejects(
    run(SIFT, ['train', '--preset', 'bi-encoder', '--learning-rate', '0', '--quiet'], options),
    (error: { stderr: string }) => /--learning-rate.*expected a number > 0, got "0"/.test(error.stderr),
  );

  const cardFile = join(home, 'card.json');
  const trained = await run(
    SIFT,
    ['train', '--preset', 'bi-encoder', '--max-steps', '1', '--json', cardFile, '--quiet'],
    options,
  );
  assert.match(trained.stdout, /sift-bi-minilm-l6: trained 1 steps on \d+ examples/);
  assert.match(trained.stdout, /use --embedder sift-bi-minilm-l6/);
  const card = JSON.parse(await readFile(cardFile, 'utf8')) as {
    kind: string;
    dev: { step: number; ndcg10: number }[];
  };
  assert.equal(card.kind, 'bi-encoder');
  assert.deepEqual(
    card.dev.map((d) => d.step),
    [0, 1],
    'the starting model is evaluated before the first step',
  );
  const files = await readdir(join(home, 'models', 'trained', 'sift-bi-minilm-l6'));
  for (const file of ['config.json', 'model.safetensors', 'tokenizer.json', 'modules.json', '1_Pooling'])
    assert.ok(files.includes(file), `${file} in ${files.join(', ')}`);

  const report = join(home, 'eval.json');
  const evaluated = await run(
    SIFT,
    [...evalArgs, '--mode', 'dense', '--embedder', 'sift-bi-minilm-l6', '--json', report],
    options,
  );
  assert.match(evaluated.stdout, /dense/);
  const metrics = JSON.parse(await readFile(report, 'utf8')) as {
    queries: number;
    metrics: Record<string, number>;
  };
  assert.equal(metrics.queries, 2);
  assert.ok(Number.isFinite(metrics.metrics['ndcg@10']));
  await assert.rejects(
    run(SIFT, [...evalArgs, '--mode', 'hybrid', '--rerank', 'sift-bi-minilm-l6'], options),
    (error: { stderr: string }) => /bi-encoder, an embedder/.test(error.stderr),
  );
});
