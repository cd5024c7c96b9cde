import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEMO_RERANKER_ID, type DemoEvaluation, DemoReranker, rerankerHelps } from './demo-reranker.js';

// The decision a start takes from an installed model and its stored evaluation (no training, no model
// opened: `load` is the ranker workers' seam). serve-demo-reranker.test.ts runs the whole thing for real.

const evaluation = (reranked: number, firstStage: number): DemoEvaluation => ({
  queries: 40,
  depth: 100,
  firstStage: { run: 'hybrid (test queries)', ndcg10: firstStage },
  reranked: { run: `hybrid → ${DEMO_RERANKER_ID}@100 (test queries)`, ndcg10: reranked },
});

/** A home with an installed demo model (created at `createdAt`) and, if given, a stored evaluation. */
async function homeWith(createdAt: string, stored?: { createdAt: string; evaluation: DemoEvaluation }) {
  const home = await mkdtemp(join(tmpdir(), 'sift-demo-reranker-'));
  const model = join(home, 'models', 'trained', DEMO_RERANKER_ID);
  await mkdir(model, { recursive: true });
  await writeFile(join(model, 'config.json'), '{}');
  await writeFile(join(model, 'model.safetensors'), '');
  await writeFile(
    join(model, 'sift-model.json'),
    JSON.stringify({ id: DEMO_RERANKER_ID, kind: 'cross-encoder', createdAt }),
  );
  const reportsDir = join(home, 'evals', 'jobs');
  await mkdir(reportsDir, { recursive: true });
  if (stored) {
    await writeFile(
      join(reportsDir, '.demo-reranker.json'),
      JSON.stringify({ model: DEMO_RERANKER_ID, ...stored }),
    );
  }
  return { home, reportsDir };
}

function reranker(home: string, reportsDir: string, loaded: string[]): DemoReranker {
  return new DemoReranker({
    home,
    maxSteps: undefined,
    nice: 19,
    evaluation: {
      folder: '/nowhere',
      indexesRoot: '/nowhere',
      mode: 'bm25',
      embedder: undefined,
      depth: 100,
      reportsDir,
    },
    load: async (id) => {
      loaded.push(id);
    },
    log: () => {},
  });
}

test('a model that does not lose to the first stage is the default; one that loses is held back', () => {
  assert.equal(rerankerHelps(evaluation(0.8, 0.79)), true);
  assert.equal(rerankerHelps(evaluation(0.79, 0.79)), true, 'a tie does no harm');
  assert.equal(rerankerHelps(evaluation(0.6, 0.79)), false);
});

test('a start with a measured, helpful model loads it first and makes it the default', async () => {
  const { home, reportsDir } = await homeWith('2026-12-07T10:00:00.000Z', {
    createdAt: '2026-12-07T10:00:00.000Z',
    evaluation: evaluation(0.82, 0.79),
  });
  const loaded: string[] = [];
  const demo = reranker(home, reportsDir, loaded);
  assert.equal(demo.loadsFirst, true);
  assert.equal(demo.readyId, undefined, 'not the default before it is loaded');
  await demo.start();
  assert.deepEqual(loaded, [DEMO_RERANKER_ID]);
  assert.equal(demo.readyId, DEMO_RERANKER_ID);
  assert.equal(demo.status().state, 'ready');
  assert.equal(demo.status().evaluation?.reranked.ndcg10, 0.82);
});

test('a start with a measured model that loses is held back at once, never loaded', async () => {
  const { home, reportsDir } = await homeWith('2026-12-07T10:00:00.000Z', {
    createdAt: '2026-12-07T10:00:00.000Z',
    evaluation: evaluation(0.6, 0.79),
  });
  const loaded: string[] = [];
  const demo = reranker(home, reportsDir, loaded);
  assert.equal(demo.loadsFirst, false);
  assert.equal(demo.status().state, 'held back');
  await demo.start();
  assert.deepEqual(loaded, []);
  assert.equal(demo.readyId, undefined);
});

test('an evaluation of another model (an older createdAt) is not trusted: the model is measured again', async () => {
  const { home, reportsDir } = await homeWith('2026-12-07T11:00:00.000Z', {
    createdAt: '2026-12-07T10:00:00.000Z',
    evaluation: evaluation(0.82, 0.79),
  });
  const demo = reranker(home, reportsDir, []);
  assert.equal(demo.loadsFirst, false);
  assert.equal(demo.status().state, 'waiting');
  assert.equal(demo.status().evaluation, undefined);
});
