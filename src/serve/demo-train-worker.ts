// The demo reranker's training thread (demo-reranker.ts starts it): lowers its own scheduling priority
// first, so that the training engine's BLAS threads, created when the engine loads, inherit it and
// serving keeps the cores it needs; then runs `sift train --preset demo` in process and reports each
// optimizer step to the serving thread.

import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { toWireError } from './wire-error.js';

export interface DemoTrainWorkerData {
  home: string;
  /** Most optimizer steps (undefined: the preset's whole run). */
  maxSteps: number | undefined;
  nice: number;
}

export type DemoTrainMessage =
  | { type: 'step'; step: number; steps: number; loss: number }
  | { type: 'done'; id: string; steps: number; bestDevNdcg10: number | undefined }
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
try {
  // Imported only now, after the priority is set (see the header).
  const { trainPreset } = await import('../train/index.js');
  const result = await trainPreset({
    preset: 'demo',
    home: data.home,
    quiet: true,
    ...(data.maxSteps !== undefined ? { maxSteps: data.maxSteps } : {}),
    onStep: (step, loss, steps) => post({ type: 'step', step, steps, loss }),
  });
  post({ type: 'done', id: result.id, steps: result.train.steps, bestDevNdcg10: result.train.bestDevNdcg10 });
} catch (error) {
  post({ type: 'failed', error: toWireError(error) });
}
