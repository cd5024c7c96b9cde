// Question: how fast does sift's training engine train a cross-encoder, against PyTorch on the same CPU?
//
// The model: all-MiniLM-L6-v2's weights (SIFT_HOME, `sift models pull all-minilm-l6-v2`) as a
// BertForSequenceClassification with a new one-logit head. One training step on a batch of 16 pairs × 128
// tokens (no padding): forward, BCE with logits, backward, global-norm clipping to 1, AdamW (lr 2e-5,
// weight decay 0.01) over every parameter — exactly what `trainCrossEncoder` does per step.
//
//   sift        src/train (TypeScript layers, OpenBLAS sgemm and GELU in native/blas.cc), 2 threads
//   pytorch     bench/torch/train_step.py: the same architecture in plain torch (sdpa attention, MKL),
//               2 threads, run as a child process from a bench-only virtualenv ($TORCH_PYTHON or
//               ../venv-torch/bin/python); reported as missing when there is none
//
// Each side takes one warm-up step, then `--steps` timed steps, in `--rounds` rounds whose order alternates
// (sift first, then PyTorch first); the median over all timed steps is reported. Examples/s = 16 /
// step seconds. Achieved GFLOP/s counts the matrix products: forward = 2·tokens·(non-embedding encoder
// weights) + 2·2·tokens·seq·hidden per layer (QKᵀ and PV), training = 3 × forward; the machine's rate is
// OpenBLAS's 2048³ sgemm measured in this run, before and after (best of both).
//
//   npm run build && node dist/bench/train.js [--steps 3] [--rounds 2]
// Results: bench/results/train.json.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bertWeights, readBertConfig, readSafetensors } from '../src/models/index.js';
import { CrossEncoderModel, type TokenBatch } from '../src/train/index.js';
import { Mulberry32, siftPaths } from '../src/util/index.js';
import { openBlasSgemmGflops } from './lib/blas-limits.js';
import { positiveIntArg, printTable, writeResult } from './lib/report.js';
import { bceTrainingStep, comparisonRecord, engineRows, timeAgainstTorch } from './lib/train-steps.js';

const BATCH = 16;
const SEQ = 128;
const steps = positiveIntArg('--steps', 3);
const rounds = positiveIntArg('--rounds', 2);

async function main(): Promise<void> {
  const modelDir = join(siftPaths().models, 'all-minilm-l6-v2');
  if (!existsSync(join(modelDir, 'model.safetensors'))) {
    console.error(`no ${modelDir}: run \`bin/sift models pull all-minilm-l6-v2\` first`);
    process.exit(1);
  }
  const peakBefore = openBlasSgemmGflops();
  const { config } = await readBertConfig(modelDir);
  const weights = bertWeights(await readSafetensors(join(modelDir, 'model.safetensors')), config);
  const model = CrossEncoderModel.fromWeights(weights, config, { rng: new Mulberry32(1) });
  const rng = new Mulberry32(7);
  const tokens = BATCH * SEQ;
  const ids = Int32Array.from({ length: tokens }, (_, i) =>
    i % SEQ === 0 ? 101 : 1000 + Math.floor(rng.next() * 29000),
  );
  const typeIds = Int32Array.from({ length: tokens }, (_, i) => (i % SEQ >= SEQ / 4 ? 1 : 0));
  const batch: TokenBatch = {
    batch: BATCH,
    seq: SEQ,
    ids,
    typeIds,
    lengths: new Int32Array(BATCH).fill(SEQ),
  };
  const step = bceTrainingStep(model, batch, 2e-5, rng);
  const comparison = timeAgainstTorch(step, { mode: 'model', batch: BATCH, seq: SEQ }, steps, rounds);
  const { torch, siftSeconds, torchSeconds } = comparison;
  const peakAfter = openBlasSgemmGflops();
  const peak = Math.max(peakBefore ?? 0, peakAfter ?? 0) || Number.NaN;

  const layerWeights = weights.layers.reduce(
    (sum, l) =>
      sum +
      [l.query, l.key, l.value, l.attentionOutput, l.intermediate, l.output].reduce(
        (s, w) => s + w.weight.length,
        0,
      ),
    0,
  );
  const forwardFlops = 2 * tokens * layerWeights + weights.layers.length * 4 * tokens * SEQ * weights.hidden;
  const trainFlops = 3 * forwardFlops;
  const rows = engineRows(comparison, BATCH, trainFlops, peak);
  console.log(
    `MiniLM-L6 cross-encoder training, batch ${BATCH} × ${SEQ} tokens, 2 threads; ${(trainFlops / 1e9).toFixed(1)} GFLOP per step; OpenBLAS sgemm peak ${peak.toFixed(1)} GFLOP/s`,
  );
  if (!torch.ok) console.log(`pytorch baseline missing: ${torch.reason}`);
  printTable(rows, 3);
  const speedup = torchSeconds / siftSeconds;
  if (torch.ok) console.log(`\nsift / pytorch examples/s: ${speedup.toFixed(2)}×`);
  writeResult('train', {
    model: 'all-minilm-l6-v2 + new classifier head (1 logit)',
    batch: BATCH,
    seq: SEQ,
    ...comparisonRecord(comparison, { steps, rounds, trainFlops, peakBefore, peakAfter }),
    rows,
  });
}

await main();
