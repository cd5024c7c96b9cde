// Question: can the training engine make all-MiniLM-L6-v2 with a new head fit anything at all? The
// classic sanity check of a training loop: a handful of queries with sharp (human) grades, trained and
// evaluated on the same pairs. If the listwise loss does not fall below ln(candidates) here, the engine is
// broken; if it falls at one learning rate and not at another, the step budget is what the students lack.
//
// Pairs: the first --queries job queries of a golden label file (bench/golden-label-set.ts), their
// candidates at --max-length tokens; listwise softmax cross-entropy on softmax(grade); batches of 32; each
// learning rate in --lrs from the same start.
//
//   npm run build && node dist/bench/golden-label-set.js --out /tmp/golden.jsonl --judged 24 --negatives 6
//   node dist/bench/overfit-probe.js --labels /tmp/golden.jsonl [--queries 3] [--epochs 15] [--lrs 2e-5,1e-4]
// Results: bench/results/overfit-probe.json.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrainingJsonl, trainCrossEncoder } from '../src/train/index.js';
import { siftPaths } from '../src/util/index.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

async function main(): Promise<void> {
  const labels = stringArg('--labels', '');
  if (labels === '') throw new Error('--labels FILE is required (bench/golden-label-set.ts writes one)');
  const all = await readTrainingJsonl(labels);
  const queries = [...new Set(all.filter((e) => e.queryId.startsWith('q-')).map((e) => e.queryId))].slice(
    0,
    positiveIntArg('--queries', 3),
  );
  const train = all.filter((e) => queries.includes(e.queryId));
  const epochs = positiveIntArg('--epochs', 15);
  const maxLength = positiveIntArg('--max-length', 64);
  const rates = stringArg('--lrs', '2e-5,1e-4').split(',').map(Number);
  const rows: Record<string, string | number>[] = [];
  const curves: Record<string, number[]> = {};
  const candidates = train.length / queries.length;
  for (const learningRate of rates) {
    const outDir = await mkdtemp(join(tmpdir(), 'sift-overfit-'));
    try {
      const result = await trainCrossEncoder({
        modelDir: join(siftPaths().models, 'all-minilm-l6-v2'),
        outDir,
        train,
        dev: train,
        loss: 'listwise',
        teacherScores: 'grade',
        epochs,
        batchSize: 32,
        learningRate,
        warmupRatio: 0.1,
        maxLength,
        evalEvery: 0,
        quiet: true,
      });
      const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
      const perEpoch = Math.max(1, Math.round(result.steps / epochs));
      curves[String(learningRate)] = result.losses;
      rows.push({
        'learning rate': learningRate,
        steps: result.steps,
        'ln(candidates)': Math.log(candidates),
        'loss, first epoch': mean(result.losses.slice(0, perEpoch)),
        'loss, last epoch': mean(result.losses.slice(-perEpoch)),
        'nDCG@10 on the same pairs': result.dev.at(-1)?.ndcg10 ?? Number.NaN,
      });
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  }
  printTable(rows, 4);
  writeResult('overfit-probe', {
    machine: machineInfo(),
    question:
      'can the engine fit a handful of golden-labelled queries from all-MiniLM-L6-v2, and at which rate',
    labels,
    queries,
    examples: train.length,
    epochs,
    maxLength,
    rows,
    losses: curves,
  });
}

await main();
