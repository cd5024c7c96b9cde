// The training benches' shared measurement: sift's training step against PyTorch's (bench/torch/
// train_step.py in a child process), in rounds whose order alternates (the machine may be shared), one
// warm-up step each; medians over all timed steps; a row per engine with examples/s, achieved GFLOP/s and
// the fraction of the machine's sgemm rate measured in the same run.

import { nativeBlasStatus } from '../../src/runtime/index.js';
import {
  AdamW,
  bceWithLogits,
  clipGradNorm,
  gemmBackend,
  type PairScorer,
  type TokenBatch,
} from '../../src/train/index.js';
import type { Mulberry32 } from '../../src/util/index.js';
import { percentile } from './report.js';
import { runTorchStep, type TorchBaseline } from './torch-baseline.js';

/**
 * One training step as the trainers take it: forward, BCE with logits against random targets, backward,
 * global-norm clipping to 1, AdamW (weight decay 0.01) at `learningRate` over every parameter.
 */
export function bceTrainingStep(
  model: PairScorer,
  batch: TokenBatch,
  learningRate: number,
  rng: Mulberry32,
): () => void {
  const params = model.parameters();
  const adam = new AdamW(params, { weightDecay: 0.01 });
  const targets = Array.from({ length: batch.batch }, () => rng.next());
  return () => {
    const { grad } = bceWithLogits(model.forward(batch), targets);
    model.backward(grad);
    clipGradNorm(params, 1);
    adam.update(learningRate);
    for (const p of params) p.zeroGrad();
  };
}

export interface StepComparison {
  siftTimes: number[];
  torchTimes: number[];
  torch: TorchBaseline;
  siftSeconds: number;
  torchSeconds: number;
}

export function timeAgainstTorch(
  step: () => void,
  torchArgs: Record<string, string | number>,
  steps: number,
  rounds: number,
): StepComparison {
  const siftTimes: number[] = [];
  const torchTimes: number[] = [];
  let torch = { ok: false, reason: 'not run' } as TorchBaseline;
  const runSift = () => {
    for (let s = 0; s <= steps; s++) {
      const t0 = performance.now();
      step();
      if (s > 0) siftTimes.push((performance.now() - t0) / 1000);
    }
  };
  const runTorch = () => {
    torch = runTorchStep({ ...torchArgs, steps, threads: 2 });
    if (torch.ok) torchTimes.push(...torch.run.stepSeconds);
  };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      runSift();
      runTorch();
    } else {
      runTorch();
      runSift();
    }
  }
  return {
    siftTimes,
    torchTimes,
    torch,
    siftSeconds: percentile(siftTimes, 50),
    torchSeconds: torch.ok ? percentile(torchTimes, 50) : Number.NaN,
  };
}

/** One row per engine: step seconds, examples/s, achieved GFLOP/s and its share of the sgemm peak. */
export function engineRows(
  comparison: StepComparison,
  batch: number,
  trainFlops: number,
  peak: number,
): Record<string, string | number>[] {
  const row = (engine: string, seconds: number) => ({
    engine,
    'step s (median)': seconds,
    'examples/s': batch / seconds,
    'GFLOP/s': trainFlops / seconds / 1e9,
    'of sgemm peak': trainFlops / seconds / 1e9 / peak,
  });
  const { torch } = comparison;
  return [
    row(`sift (${gemmBackend})`, comparison.siftSeconds),
    row(torch.ok ? `pytorch ${torch.run.torch}` : 'pytorch (missing)', comparison.torchSeconds),
  ];
}

/** The JSON fields every training bench records about the comparison (beside its model and shape). */
export function comparisonRecord(
  comparison: StepComparison,
  run: { steps: number; rounds: number; trainFlops: number; peakBefore?: number; peakAfter?: number },
): Record<string, unknown> {
  const { torch } = comparison;
  return {
    steps: run.steps,
    gemmBackend,
    blas: nativeBlasStatus(),
    sgemmPeakGflops: { before: run.peakBefore, after: run.peakAfter },
    trainGflopPerStep: run.trainFlops / 1e9,
    siftStepSeconds: comparison.siftTimes,
    rounds: run.rounds,
    torch: torch.ok
      ? { version: torch.run.torch, threads: torch.run.threads, stepSeconds: comparison.torchTimes }
      : { missing: torch.reason },
    siftOverTorch: torch.ok ? comparison.torchSeconds / comparison.siftSeconds : null,
  };
}
