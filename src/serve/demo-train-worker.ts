// The demo reranker's thread (demo-reranker.ts starts it). It lowers its own scheduling priority first, so
// that the training engine's BLAS threads, created when the engine loads, inherit it and serving keeps the
// cores it needs. Then it runs `sift train --preset demo` in process (unless the model is installed), and
// measures the model where the labels never reached: it reranks the first stage's candidates for the
// corpus's judged *test* queries and compares NDCG@10 with the first stage alone, in the same run. Both
// reports go beside the corpus's other evaluations (the page's table), and the numbers go to the serving
// thread, which makes the model "default" only where it helps.

import { mkdir } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { toWireError } from './wire-error.js';

export interface DemoEvaluationSetup {
  /** The corpus (a BEIR folder) and where its index lives. */
  folder: string;
  indexesRoot: string;
  /** The first stage the service serves: hybrid with an embedder, bm25 without. */
  mode: 'hybrid' | 'bm25';
  embedder: string | undefined;
  /** First-stage candidates the model reranks per query. */
  depth: number;
  /** Where the two reports are written (the page's evaluation folder). */
  reportsDir: string;
}

export interface DemoTrainWorkerData {
  home: string;
  /** False when the model is installed and only its evaluation is missing. */
  train: boolean;
  /** Most optimizer steps (undefined: the preset's whole run). */
  maxSteps: number | undefined;
  nice: number;
  id: string;
  evaluation: DemoEvaluationSetup;
  /**
   * One Int32 the serving thread sets to 1 to stop the work at its next safe point (after a training
   * step, before a query): terminating the thread instead could end it inside an ONNX Runtime call, which
   * aborts the whole process.
   */
  stop: SharedArrayBuffer;
}

/** The trained model against the first stage alone, on the same test queries. */
export interface DemoEvaluation {
  queries: number;
  depth: number;
  firstStage: { run: string; ndcg10: number };
  reranked: { run: string; ndcg10: number };
}

export type DemoTrainMessage =
  | { type: 'step'; step: number; steps: number; loss: number }
  | { type: 'trained'; steps: number; bestDevNdcg10: number | undefined }
  | { type: 'evaluated'; evaluation: DemoEvaluation }
  | { type: 'failed'; error: ReturnType<typeof toWireError> };

const data = workerData as DemoTrainWorkerData;
const port = parentPort!;
let niceReason: string | undefined;
try {
  setPriority(data.nice);
} catch (error) {
  // A platform without per-thread priority: training shares the cores evenly, which is slower serving
  // during training, not wrong.
  niceReason = error instanceof Error ? error.message : String(error);
}
if (niceReason !== undefined)
  console.error(`sift serve: demo training runs at normal priority: ${niceReason}`);

const post = (message: DemoTrainMessage) => port.postMessage(message);
const stopFlag = new Int32Array(data.stop);
const stopRequested = () => Atomics.load(stopFlag, 0) === 1;
/** Thrown at a safe point once a stop is asked for; the thread then ends without a word. */
class Stopped extends Error {}
try {
  // Imported only now, after the priority is set (see the header).
  if (data.train) {
    const { trainPreset } = await import('../train/index.js');
    const result = await trainPreset({
      preset: 'demo',
      home: data.home,
      quiet: true,
      ...(data.maxSteps !== undefined ? { maxSteps: data.maxSteps } : {}),
      onStep: (step, loss, steps) => {
        post({ type: 'step', step, steps, loss });
        if (stopRequested()) throw new Stopped('stopped after a training step');
      },
    });
    post({ type: 'trained', steps: result.train.steps, bestDevNdcg10: result.train.bestDevNdcg10 });
  }
  post({ type: 'evaluated', evaluation: await evaluate(data.id, data.evaluation) });
} catch (error) {
  if (!stopRequested()) post({ type: 'failed', error: toWireError(error) });
}

async function evaluate(id: string, setup: DemoEvaluationSetup): Promise<DemoEvaluation> {
  const { evaluateCollection } = await import('../search/index.js');
  const { toJsonReport } = await import('../eval/index.js');
  const { writeFileAtomic } = await import('../util/index.js');
  const common = {
    mode: setup.mode,
    indexesRoot: setup.indexesRoot,
    split: 'test' as const,
    quiet: true,
    ...(setup.embedder ? { embedder: setup.embedder } : {}),
  };
  const first = await evaluateCollection(setup.folder, common);
  const reranked = await evaluateCollection(setup.folder, {
    ...common,
    rerank: id,
    rerankDepth: setup.depth,
  });
  const firstRun = `${setup.mode} (test queries)`;
  const rerankedRun = `${setup.mode} → ${id}@${setup.depth} (test queries)`;
  await mkdir(setup.reportsDir, { recursive: true });
  await writeFileAtomic(join(setup.reportsDir, `${firstRun}.json`), `${toJsonReport(first.result)}\n`);
  await writeFileAtomic(join(setup.reportsDir, `${rerankedRun}.json`), `${toJsonReport(reranked.result)}\n`);
  return {
    queries: reranked.result.queries,
    depth: setup.depth,
    firstStage: { run: firstRun, ndcg10: first.result.metrics['ndcg@10'] ?? 0 },
    reranked: { run: rerankedRun, ndcg10: reranked.result.metrics['ndcg@10'] ?? 0 },
  };
}
