// One optimizer step as every trainer takes it, once its gradients are accumulated: clip them, refuse a
// step whose loss or gradient norm is not finite (before the weights change, naming the last good
// checkpoint), update with AdamW at the schedule's rate, clear the gradients, and record the step in the
// run's state, its progress bar and the caller's onStep.

import type { ProgressBar } from '../util/index.js';
import type { AdamW } from './adamw.js';
import { clipGradNorm } from './clip.js';
import type { Parameter } from './parameter.js';
import type { RunBook } from './run-book.js';
import { learningRate, type ScheduleOptions } from './schedule.js';

export interface OptimizerStepContext {
  book: RunBook;
  params: readonly Parameter[];
  adam: AdamW;
  maxGradNorm: number;
  schedule: ScheduleOptions;
  progress: ProgressBar;
  /** Added to E_TRAIN_DIVERGED's message (what to try). */
  divergenceHint?: string;
  onStep?: (step: number, loss: number, totalSteps: number) => void;
}

/**
 * Applies the step whose mean loss is `loss`, made of `batches` batches of the epoch; `advance` is what the
 * progress bar counts for it (examples or one step).
 */
export function applyOptimizerStep(
  c: OptimizerStepContext,
  loss: number,
  batches: number,
  advance: number,
): void {
  const { state } = c.book;
  const norm = clipGradNorm(c.params, c.maxGradNorm);
  // The bar's line is closed first, so the error is not printed over it.
  if (!Number.isFinite(loss) || !Number.isFinite(norm)) c.progress.finish();
  c.book.checkFinite(loss, norm, c.divergenceHint);
  c.adam.update(learningRate(state.step, c.schedule));
  for (const p of c.params) p.zeroGrad();
  state.step++;
  state.batchInEpoch += batches;
  state.losses.push(loss);
  c.progress.setStatus(`loss ${loss.toFixed(4)}`);
  c.progress.tick(advance);
  c.onStep?.(state.step, loss, c.schedule.totalSteps);
}
