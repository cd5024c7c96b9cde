// Question: how fast does sift's training engine train a decoder yes/no ranker, against PyTorch on the
// same CPU?
//
// The model: SmolLM2-135M-Instruct (SIFT_HOME, `sift models pull smollm2-135m-instruct-q4`), its GGUF
// dequantised to float32, as sift's YesNoDecoder (score = z_yes − z_no at the last token). One training
// step on a batch of 4 prompts × 128 tokens (no padding): forward, BCE with logits, backward, global-norm
// clipping to 1, AdamW (lr 1e-5, weight decay 0.01) over every parameter, the embedding included — what
// `sift train --preset decoder` does per step.
//
//   sift        src/train (TypeScript layers, OpenBLAS sgemm in native/blas.cc), 2 threads
//   pytorch     bench/torch/train_step.py --mode decoder: LlamaForCausalLM at the same shape in plain torch
//               (random weights: the same products), sdpa attention with is_causal, 2 threads, from a
//               bench-only virtualenv ($TORCH_PYTHON or ../venv-torch/bin/python); reported as missing
//               when there is none
//
// Rounds alternate which engine goes first; the median over all timed steps is reported (one warm-up
// step each). Achieved GFLOP/s counts the matrix products: forward = 2·tokens·(block weights) +
// 2·2·tokens·seq·(heads·head_dim) per layer (QKᵀ and PV over the whole square, as sift computes them before
// the causal mask), training = 3 × forward. The machine's rate is OpenBLAS's 2048³ sgemm measured in this
// run, before and after (best of both).
//
//   npm run build && node dist/bench/train-decoder.js [--steps 3] [--rounds 2] [--batch 4] [--seq 128]
// Results: bench/results/train-decoder.json.

import { join } from 'node:path';
import { readDecoderSource } from '../src/models/index.js';
import { type TokenBatch, YesNoDecoder } from '../src/train/index.js';
import { Mulberry32, siftPaths } from '../src/util/index.js';
import { openBlasSgemmGflops } from './lib/blas-limits.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';
import { bceTrainingStep, comparisonRecord, engineRows, timeAgainstTorch } from './lib/train-steps.js';

const steps = positiveIntArg('--steps', 3);
const rounds = positiveIntArg('--rounds', 2);
const BATCH = positiveIntArg('--batch', 4);
const SEQ = positiveIntArg('--seq', 128);
const GGUF = join(siftPaths().models, 'smollm2-135m-instruct-q4', 'SmolLM2-135M-Instruct.Q4_1.gguf');

async function main(): Promise<void> {
  const peakBefore = openBlasSgemmGflops();
  const source = await readDecoderSource(GGUF);
  const { config } = source;
  const model = YesNoDecoder.fromWeights(source.weights, config, { yes: 100, no: 200 });
  const rng = new Mulberry32(7);
  const tokens = BATCH * SEQ;
  const batch: TokenBatch = {
    batch: BATCH,
    seq: SEQ,
    ids: Int32Array.from({ length: tokens }, () => 1000 + Math.floor(rng.next() * 39000)),
    typeIds: new Int32Array(tokens),
    lengths: new Int32Array(BATCH).fill(SEQ),
  };
  const step = bceTrainingStep(model, batch, 1e-5, rng);
  const comparison = timeAgainstTorch(step, { mode: 'decoder', batch: BATCH, seq: SEQ }, steps, rounds);
  const { torch, siftSeconds, torchSeconds } = comparison;
  const peakAfter = openBlasSgemmGflops();
  const peak = Math.max(peakBefore ?? 0, peakAfter ?? 0) || Number.NaN;

  const blockWeights = source.weights.layers.reduce(
    (sum, l) =>
      sum +
      [l.query, l.key, l.value, l.output, l.gate, l.up, l.down].reduce((s, w) => s + w.weight.length, 0),
    0,
  );
  const forwardFlops =
    2 * tokens * blockWeights + config.layers * 4 * tokens * SEQ * config.heads * config.headDim;
  const trainFlops = 3 * forwardFlops;
  const rows = engineRows(comparison, BATCH, trainFlops, peak);
  console.log(
    `SmolLM2-135M yes/no decoder training, batch ${BATCH} × ${SEQ} tokens, 2 threads; ${(trainFlops / 1e9).toFixed(1)} GFLOP per step; OpenBLAS sgemm peak ${peak.toFixed(1)} GFLOP/s`,
  );
  if (!torch.ok) console.log(`pytorch baseline missing: ${torch.reason}`);
  printTable(rows, 3);
  const ratio = torchSeconds / siftSeconds;
  if (torch.ok) console.log(`\nsift / pytorch examples/s: ${ratio.toFixed(2)}×`);
  writeResult(stringArg('--name', 'train-decoder'), {
    machine: machineInfo(),
    model: 'smollm2-135m-instruct-q4 (dequantised to float32) as a yes/no decoder',
    batch: BATCH,
    seq: SEQ,
    ...comparisonRecord(comparison, { steps, rounds, trainFlops, peakBefore, peakAfter }),
    rows,
  });
}

await main();
