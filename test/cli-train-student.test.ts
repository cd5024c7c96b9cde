// `sift train --preset student`, the multi-stage distillation's next stage through the CLI: a student
// from paraphrase-MiniLM-L3-v2's real weights learns a teacher's order of BM25's candidates on cranfield
// and is installed under sift-ce-minilm-l3 with a card saying how it was made. The teacher is the tiny
// formula-weight cross-encoder (random weights: the wiring, the card and the run are checked here;
// bench/distill.ts measures real students). Bad input is refused before any work.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { installedTrainedModel } from '../src/models/index.js';
import { loadCrossEncoder } from '../src/rank/index.js';
import { homeBorrowing } from './lib/borrowed-home.js';
import { installTinyCrossEncoder } from './lib/installed-cross-encoder.js';
import { modelSkip } from './lib/model-skip.js';
import { tinyCrossEncoderSkip } from './lib/tiny-cross-encoder.js';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const CRANFIELD = join(resolve(process.env.SIFT_SHARED ?? '../shared'), 'data', 'cranfield');
const BASE = 'paraphrase-minilm-l3-v2';

test('sift train --preset student distils a teacher into a 3-layer cross-encoder from paraphrase-MiniLM-L3-v2', {
  timeout: 10 * 60_000,
}, async (t) => {
  const skip = modelSkip(BASE) || tinyCrossEncoderSkip;
  if (skip) return t.skip(skip);
  // A fresh SIFT_HOME that borrows the pulled base model.
  const home = await homeBorrowing([BASE], 'sift-student-');
  t.after(() => rm(home, { recursive: true, force: true }));
  await installTinyCrossEncoder(home, 'tiny-teacher');
  const env = { ...process.env, SIFT_HOME: home };

  const cardFile = join(home, 'card.json');
  const args = ['train', '--preset', 'student', '--teacher', 'tiny-teacher', '--collection', CRANFIELD];
  const quick = ['--titles', '2', '--max-queries', '2', '--epochs', '1', '--quiet'];
  const { stdout } = await run(SIFT, [...args, ...quick, '--json', cardFile], { env, maxBuffer: 1 << 24 });
  // Two judged training queries and two titles, 16 candidates each (a title's list drops its own document).
  assert.match(
    stdout,
    /sift-ce-minilm-l3: distilled from tiny-teacher in \d+ steps on (6[0-4]) candidates of 4 queries \(\d+ dev\)/,
  );
  assert.match(stdout, /installed .* \(use --rerank sift-ce-minilm-l3\)/);
  const card = JSON.parse(await readFile(cardFile, 'utf8')) as {
    preset: string;
    base: string;
    teacher: string;
    collections: string[];
    settings: { candidates: number; titleQueries: number; maxLength: number };
  };
  assert.deepEqual(
    { preset: card.preset, base: card.base, teacher: card.teacher, collections: card.collections },
    { preset: 'student', base: BASE, teacher: 'tiny-teacher', collections: ['cranfield'] },
  );
  assert.equal(card.settings.candidates, 16);
  assert.equal(card.settings.maxLength, 64, "the teacher's own length");
  const folder = installedTrainedModel('sift-ce-minilm-l3', home)!;
  const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')) as {
    num_hidden_layers: number;
  };
  assert.equal(config.num_hidden_layers, 3, "paraphrase-MiniLM-L3-v2's three layers");
  // The installed student ranks.
  const student = await loadCrossEncoder(folder, { id: 'sift-ce-minilm-l3', maxLength: 64 });
  try {
    const scores = await student.score('boundary layer', [
      { id: 'a', title: 'Boundary layers', text: 'the boundary layer on a flat plate' },
      { id: 'b', title: 'Heat', text: 'heat transfer in slabs' },
    ]);
    assert.equal(scores.length, 2);
    assert.ok(scores.every(Number.isFinite));
  } finally {
    await student.release();
  }
});

test('sift train refuses a student without a teacher, student options on other presets, and an unknown teacher', {
  skip: tinyCrossEncoderSkip,
}, async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'sift-student-bad-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  const env = { ...process.env, SIFT_HOME: home };
  const refused = (args: string[], message: RegExp) =>
    assert.rejects(run(SIFT, ['train', ...args], { env }), (error: { stderr?: string }) =>
      message.test(error.stderr ?? ''),
    );
  await refused(
    ['--preset', 'student', '--collection', CRANFIELD],
    /--preset student learns from a teacher: name one with --teacher/,
  );
  await refused(['--preset', 'default', '--teacher', 'x'], /--teacher is for --preset student/);
  await refused(['--preset', 'default', '--collection', CRANFIELD], /--collection is for --preset student/);
  await refused(
    ['--preset', 'student', '--teacher', 'x', '--collection', CRANFIELD, '--loss', 'bce'],
    /--loss is not for --preset student/,
  );
  await refused(
    ['--preset', 'student', '--teacher', 'x'],
    /a student learns on collections: name one or more with --collection/,
  );
  await refused(
    ['--preset', 'student', '--teacher', 'no-such-model', '--collection', CRANFIELD],
    /no trained model "no-such-model" is installed to teach/,
  );
});
