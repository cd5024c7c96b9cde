// `sift flywheel` end to end through the CLI on a small job corpus: every step runs, the model is installed
// and evaluated on test queries, a second run resumes without judging or training again, a work folder of
// another policy is refused, and a corpus's synthetic queries come from a real chat model (SmolLM2-135M).
// The judge is the scripted word-overlap stand-in behind sift's own chat server (an OpenAI-compatible
// URL), so the loop's plumbing is tested in seconds; the real judge's labels are issue 20's, and what a
// fully trained flywheel model is worth is measured by bench/distill.ts, not here.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { ensureDemoCollection } from '../src/demo/index.js';
import { type ChatServer, startChatServer } from '../src/judge/index.js';
import { homeBorrowing } from './lib/borrowed-home.js';
import { modelSkip } from './lib/model-skip.js';
import { createScriptedBackend } from './lib/scripted-backend.js';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const BASE = 'all-minilm-l6-v2';
const WRITER = 'smollm2-135m-instruct-q4';

let server: ChatServer;
let backend: ReturnType<typeof createScriptedBackend>;
before(async () => {
  backend = createScriptedBackend();
  server = await startChatServer(backend);
});
after(async () => server.close());

/** A fresh SIFT_HOME borrowing the pulled models, and a small job corpus with train and test queries. */
async function setUp(): Promise<{ home: string; folder: string; env: NodeJS.ProcessEnv }> {
  const home = await homeBorrowing([BASE, WRITER], 'sift-flywheel-');
  const demo = await ensureDemoCollection({
    root: join(home, 'collections'),
    seed: 11,
    docs: 300,
    queries: 40,
  });
  return { home, folder: demo.folder, env: { ...process.env, SIFT_HOME: home } };
}

interface Report {
  id: string;
  judge: string;
  queries: { source: string; written?: number };
  trained: { steps: number; createdAt: string };
  evaluation: {
    queries?: number;
    hybrid?: { 'ndcg@10': number };
    reranked?: { 'ndcg@10': number };
    p?: number;
  };
}

/** The arguments every flywheel run here shares: the corpus, the policy, the scripted judge, the work folder. */
function flywheelArgs(folder: string, work: string): string[] {
  return [
    'flywheel',
    '--collection',
    folder,
    '--policy',
    'job-search',
    '--judge',
    server.url,
    '--work',
    work,
  ];
}

test('sift flywheel: queries → sample → judge → calibrate → train → evaluate, then resumes', {
  timeout: 15 * 60_000,
}, async (t) => {
  const skip = modelSkip(BASE);
  if (skip) return t.skip(skip);
  const { home, folder, env } = await setUp();
  const work = join(home, 'fw');
  const args = [
    ...flywheelArgs(folder, work),
    '--queries',
    '6',
    '--per-query',
    '4',
    '--max-steps',
    '2',
    '--eval-queries',
    '5',
    '--quiet',
  ];
  const first = await run(SIFT, args, { env, maxBuffer: 1 << 24 });
  assert.match(
    first.stdout,
    /flywheel-jobs-11-300: trained 2 steps; installed \(use --rerank flywheel-jobs-11-300\)/,
  );
  assert.match(
    first.stdout,
    /test queries 5: NDCG@10 hybrid 0\.\d{4}, hybrid → flywheel-jobs-11-300 0\.\d{4}/,
  );
  const report = JSON.parse(await readFile(join(work, 'report.json'), 'utf8')) as Report;
  assert.equal(report.queries.source, 'training queries');
  assert.equal(report.judge, `chat:${backend.model}`, 'the judge as it labels, not the URL given');
  assert.equal(report.trained.steps, 2);
  assert.equal(report.evaluation.queries, 5);
  assert.ok(report.evaluation.p !== undefined && report.evaluation.p > 0 && report.evaluation.p <= 1);
  const labels = (await readFile(join(work, 'labels.jsonl'), 'utf8')).trim().split('\n');
  assert.ok(labels.length > 0 && labels.length <= 24, `${labels.length} labels for 6 queries × 4 pairs`);
  const judgedCalls = backend.calls;
  assert.ok(judgedCalls >= labels.length);

  // Again: nothing is judged twice, training and evaluation are skipped (same labels, same settings).
  await run(SIFT, args, { env, maxBuffer: 1 << 24 });
  assert.equal(backend.calls, judgedCalls);
  const again = JSON.parse(await readFile(join(work, 'report.json'), 'utf8')) as Report;
  assert.equal(again.trained.createdAt, report.trained.createdAt);
  assert.deepEqual(again.evaluation, report.evaluation);

  // The same work folder under another policy is another flywheel: refused, naming the field.
  const otherPolicy = args.map((a) => (a === 'job-search' ? 'web-search' : a));
  await assert.rejects(run(SIFT, otherPolicy, { env }), (error: { stderr: string }) =>
    /another policy .*use another --work \[E_FLYWHEEL\]/.test(error.stderr),
  );
});

test('sift flywheel --synthetic-queries: a chat model writes the queries (InPars)', {
  timeout: 15 * 60_000,
}, async (t) => {
  const skip = modelSkip(BASE) ?? modelSkip(WRITER);
  if (skip) return t.skip(skip);
  const { home, folder, env } = await setUp();
  const work = join(home, 'fw-synthetic');
  const args = [
    ...flywheelArgs(folder, work),
    '--synthetic-queries',
    '3',
    '--query-writer',
    WRITER,
    '--queries',
    '3',
    '--per-query',
    '3',
    '--max-steps',
    '1',
    '--eval-queries',
    '3',
    '--id',
    'fw-synthetic',
    '--quiet',
  ];
  await run(SIFT, args, { env, maxBuffer: 1 << 24 });
  const report = JSON.parse(await readFile(join(work, 'report.json'), 'utf8')) as Report;
  assert.equal(report.queries.source, 'synthetic');
  const written = (await readFile(join(work, 'queries.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { _id: string; text: string; source_doc: string });
  assert.equal(written.length, report.queries.written);
  assert.ok(written.length >= 1, 'the writer wrote at least one usable query of three');
  for (const q of written) {
    assert.equal(q._id, `synthetic-${q.source_doc}`);
    assert.ok(q.text.length >= 3);
  }
  // The labels are over the synthetic queries, never the collection's own.
  const labelled = (await readFile(join(work, 'labels.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { query_id: string }).query_id);
  assert.ok(labelled.length > 0);
  assert.ok(labelled.every((id) => id.startsWith('synthetic-')));
  assert.equal(report.trained.steps, 1);

  // Again: the queries are kept as written (none is asked for twice) and the loop resumes to the same end.
  const queriesBefore = await readFile(join(work, 'synthetic-queries.jsonl'), 'utf8');
  await run(SIFT, args, { env, maxBuffer: 1 << 24 });
  assert.equal(await readFile(join(work, 'synthetic-queries.jsonl'), 'utf8'), queriesBefore);
  const again = JSON.parse(await readFile(join(work, 'report.json'), 'utf8')) as Report;
  assert.equal(again.trained.createdAt, report.trained.createdAt);
});
