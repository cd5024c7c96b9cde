// The bookkeeping every trainer's run shares, whatever its model and loss: checkpoints (written, then the
// old ones pruned, never the best), dev evaluations with the best kept and patience counted, the refusal
// to apply a non-finite step, and the result a run returns. The trainers keep their data, model and
// inner loop; this keeps the run's record consistent between them, so resume and early stopping behave
// the same for the cross-encoder and the bi-encoder.

import { join } from 'node:path';
import { SiftError } from '../errors.js';
import type { Mulberry32 } from '../util/index.js';
import {
  type CheckpointContent,
  type CheckpointIo,
  checkpointName,
  pruneCheckpoints,
  type TrainerState,
  writeCheckpoint,
} from './checkpoint.js';

export interface TrainResult {
  steps: number;
  /** Mean training loss of each optimizer step, from step 1. */
  losses: number[];
  lastCheckpoint: string;
  /** The checkpoint with the best dev nDCG@10 (the last one when there is no dev split). */
  bestCheckpoint: string;
  bestDevNdcg10?: number;
  /** Dev evaluations: nDCG@10, and the dev loss where the trainer computes one (the cross-encoder). */
  dev: { step: number; ndcg10: number; loss?: number }[];
  stoppedEarly: boolean;
  /** True when the run continued from a checkpoint. */
  resumed: boolean;
}

export interface RunBookOptions {
  outDir: string;
  state: TrainerState;
  /** The checkpoint the run resumed from, if any. */
  resumeFrom: string | undefined;
  /** Dropout's generator: its state goes into every checkpoint. */
  dropoutRng: Mulberry32;
  /** What a checkpoint holds besides the state. */
  content: Omit<CheckpointContent, 'state'>;
  /** Checkpoints kept besides the best. */
  keep: number;
  /** Evaluations in a row without a better dev nDCG@10 before stopping. */
  patience: number;
  io?: CheckpointIo;
}

export class RunBook {
  readonly dev: TrainResult['dev'] = [];
  lastCheckpoint: string | undefined;
  stoppedEarly = false;

  constructor(private readonly options: RunBookOptions) {
    this.lastCheckpoint = options.resumeFrom;
  }

  get state(): TrainerState {
    return this.options.state;
  }

  /** Writes a checkpoint of the current step and prunes the old ones (never the best). */
  async checkpoint(): Promise<string> {
    const { outDir, state, content, keep, io } = this.options;
    state.rng = this.options.dropoutRng.saved;
    this.lastCheckpoint = await writeCheckpoint(outDir, { ...content, state }, io);
    await pruneCheckpoints(outDir, keep, state.best ? [state.best.checkpoint] : []);
    return this.lastCheckpoint;
  }

  /** Whether the current step already has its checkpoint. */
  get checkpointed(): boolean {
    return this.lastCheckpoint?.endsWith(checkpointName(this.state.step)) ?? false;
  }

  /**
   * Records a dev evaluation of the current step: a new best is checkpointed at once (the checkpoint
   * names itself, so it is protected from pruning on resume too). True when patience has run out.
   */
  async recordEvaluation(result: { ndcg10: number; loss?: number }): Promise<boolean> {
    const { state } = this;
    this.dev.push({ step: state.step, ...result });
    if (!state.best || result.ndcg10 > state.best.metric) {
      state.badEvals = 0;
      const checkpoint = join(this.options.outDir, 'checkpoints', checkpointName(state.step));
      state.best = { metric: result.ndcg10, step: state.step, checkpoint };
      await this.checkpoint();
      return false;
    }
    state.badEvals++;
    return state.badEvals >= this.options.patience;
  }

  /**
   * Refuses a step whose loss or gradient norm is not finite, before the weights change: E_TRAIN_DIVERGED
   * names the step and the last good checkpoint.
   */
  checkFinite(loss: number, gradNorm: number, hint = ''): void {
    if (Number.isFinite(loss) && Number.isFinite(gradNorm)) return;
    const what = Number.isFinite(loss) ? `gradient norm is ${gradNorm}` : `loss is ${loss}`;
    const last = this.lastCheckpoint
      ? `The last good checkpoint is ${this.lastCheckpoint}`
      : 'No checkpoint was written yet';
    throw new SiftError(
      'E_TRAIN_DIVERGED',
      `step ${this.state.step + 1}: the ${what}; stopped before updating the weights. ${last}${hint}`,
      { step: this.state.step + 1, checkpoint: this.lastCheckpoint ?? null },
    );
  }

  /** The progress bar's closing line. */
  summary(): string | undefined {
    const { best } = this.state;
    return best ? `best dev nDCG@10 ${best.metric.toFixed(4)} at step ${best.step}` : undefined;
  }

  result(): TrainResult {
    const { state } = this;
    const last = this.lastCheckpoint as string;
    return {
      steps: state.step,
      losses: state.losses,
      lastCheckpoint: last,
      bestCheckpoint: state.best?.checkpoint ?? last,
      ...(state.best ? { bestDevNdcg10: state.best.metric } : {}),
      dev: this.dev,
      stoppedEarly: this.stoppedEarly,
      resumed: this.options.resumeFrom !== undefined,
    };
  }
}
