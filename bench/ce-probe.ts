// Question: which of the frozen base encoder's pooled states carries the judge's within-query order, i.e.
// where should a new cross-encoder head read from? all-minilm-l6-v2 was trained as a bi-encoder with mean
// pooling: its [CLS] state was never trained to summarise anything, and its pooler is an untrained
// initialisation (zero bias). A new head that reads [CLS] must wait for the encoder to learn to route the
// pair's relevance there, which a few hundred steps at BERT's 2e-5 cannot do.
//
// For every pair of the committed label sets that training uses, the frozen encoder reads
// "[CLS] query [SEP] title\ntext [SEP]" (256 tokens, as the default preset trains) and three features are
// kept: the [CLS] state, tanh(pooler([CLS])) (what the classifier head reads today), and the mean over
// real tokens. A linear probe (ridge regression of the judge's log-odds, features and target centred
// within each query, since only the order within a query matters) is fitted on the training side of the
// dev split and scored on its dev queries: mean within-query Pearson correlation of the probe with the
// judge's p(yes) and with the human grade (unjudged = 0), and how much of each feature's variance lies
// within queries (near 0: the state hardly changes with the document, so no head on it can rank).
//
//   npm run build && node dist/bench/ce-probe.js [--max-queries N]
// Results: bench/results/ce-probe.json.

import { join } from 'node:path';
import { ensureDemoCollection } from '../src/demo/index.js';
import { loadBeirCollection } from '../src/ingest/index.js';
import { pearson } from '../src/judge/index.js';
import { bertWeights, loadTokenizer, readBertConfig, readSafetensors } from '../src/models/index.js';
import {
  ClassifierHead,
  CrossEncoderModel,
  committedLabelSets,
  devSplit,
  readTrainingJsonl,
  type TrainingExample,
  tokenBatch,
} from '../src/train/index.js';
import { Mulberry32, ProgressBar, sharedDir, siftPaths } from '../src/util/index.js';
import { positiveIntArg, printTable, writeResult } from './lib/report.js';

const FEATURES = ['cls', 'pooler', 'mean'] as const;
type Feature = (typeof FEATURES)[number];
const MAX_LENGTH = 256;
const RIDGE = [1e-3, 1e-2, 1e-1, 1];

function mean(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length ? finite.reduce((s, v) => s + v, 0) / finite.length : Number.NaN;
}

/** Solves (A + λI)x = b for symmetric positive-definite A by Cholesky (A is d×d, row-major). */
function ridgeSolve(a: Float64Array, b: Float64Array, d: number, lambda: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * d + j]! + (i === j ? lambda : 0);
      for (let k = 0; k < j; k++) sum -= l[i * d + k]! * l[j * d + k]!;
      l[i * d + j] = i === j ? Math.sqrt(sum) : sum / l[j * d + j]!;
    }
  }
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * d + k]! * y[k]!;
    y[i] = sum / l[i * d + i]!;
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < d; k++) sum -= l[k * d + i]! * x[k]!;
    x[i] = sum / l[i * d + i]!;
  }
  return x;
}

interface Group {
  examples: TrainingExample[];
  features: Record<Feature, Float32Array[]>;
  split: 'train' | 'dev';
}

/** Rows centred on their query's mean (features and target alike). */
function centred(rows: readonly Float32Array[]): Float64Array[] {
  const d = rows[0]!.length;
  const m = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) m[j]! += r[j]! / rows.length;
  return rows.map((r) => Float64Array.from(r, (v, j) => v - m[j]!));
}

function logOdds(p: number): number {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
}

async function main(): Promise<void> {
  const maxQueries = positiveIntArg('--max-queries', 1_000_000);
  const modelDir = join(siftPaths().models, 'all-minilm-l6-v2');
  const { config } = await readBertConfig(modelDir);
  const tokenizer = await loadTokenizer(modelDir, { maxLength: MAX_LENGTH });
  const weights = bertWeights(await readSafetensors(join(modelDir, 'model.safetensors')), config);
  const model = CrossEncoderModel.fromWeights(weights, config, { rng: new Mulberry32(1) });
  const { head } = model;
  if (!(head instanceof ClassifierHead)) throw new Error('the probe reads the classifier head');
  const hidden = weights.hidden;
  const demo = await ensureDemoCollection({ root: siftPaths().collections, seed: 2026, docs: 5000 });
  const folders: Record<string, string> = {
    'dbpedia-entity-subset': join(sharedDir(), 'data', 'dbpedia-entity-subset'),
    cranfield: join(sharedDir(), 'data', 'cranfield'),
    jobs: demo.folder,
  };
  const rows: Record<string, string | number>[] = [];
  for (const set of committedLabelSets()) {
    const folder = folders[set.name];
    if (!folder) continue;
    const qrels = (await loadBeirCollection(folder, {})).qrels;
    const byQuery = new Map<string, TrainingExample[]>();
    for (const e of await readTrainingJsonl(set.file)) {
      if (e.pYes === null) continue;
      byQuery.set(e.queryId, [...(byQuery.get(e.queryId) ?? []), e]);
    }
    const groups: Group[] = [];
    const queries = [...byQuery.values()].filter((g) => g.length >= 3).slice(0, maxQueries);
    const bar = new ProgressBar({
      label: `${set.name}: encoding`,
      total: queries.reduce((s, g) => s + g.length, 0),
      unit: 'pairs',
    });
    for (const examples of queries) {
      const encoded = tokenizer.encodePairs(
        examples.map((e) => e.query),
        examples.map((e) => (e.title.trim() === '' ? e.text : `${e.title}\n${e.text}`)),
        { maxLength: MAX_LENGTH, truncation: 'only_second' },
      );
      const pairs = encoded.ids.map((ids, i) => ({
        ids: Int32Array.from(ids),
        typeIds: Int32Array.from(encoded.typeIds[i]!),
      }));
      const features: Record<Feature, Float32Array[]> = { cls: [], pooler: [], mean: [] };
      for (let start = 0; start < pairs.length; start += 16) {
        const batchRows = pairs.map((_, i) => i).slice(start, start + 16);
        const tokens = tokenBatch(pairs, batchRows);
        const states = model.encoder.forward(tokens);
        const cls = new Float32Array(tokens.batch * hidden);
        for (let b = 0; b < tokens.batch; b++) {
          const base = b * tokens.seq * hidden;
          cls.set(states.subarray(base, base + hidden), b * hidden);
          const m = new Float32Array(hidden);
          const n = tokens.lengths[b]!;
          for (let t = 0; t < n; t++)
            for (let j = 0; j < hidden; j++) m[j]! += states[base + t * hidden + j]! / n;
          features.mean.push(m);
          features.cls.push(cls.slice(b * hidden, (b + 1) * hidden));
        }
        const pooled = head.pooler.forward(cls, tokens.batch).map(Math.tanh);
        for (let b = 0; b < tokens.batch; b++)
          features.pooler.push(pooled.slice(b * hidden, (b + 1) * hidden));
        bar.tick(tokens.batch);
      }
      groups.push({ examples, features, split: devSplit(examples[0]!.queryId) });
    }
    bar.finish();
    const human = (e: TrainingExample) => qrels.get(e.queryId)?.get(e.docId) ?? 0;
    const train = groups.filter((g) => g.split === 'train');
    const dev = groups.filter((g) => g.split === 'dev');
    for (const feature of FEATURES) {
      // Share of each dimension's variance that lies within queries, averaged over dimensions.
      let within = 0;
      let total = 0;
      const all = groups.flatMap((g) => g.features[feature]);
      const grand = new Float64Array(hidden);
      for (const r of all) for (let j = 0; j < hidden; j++) grand[j]! += r[j]! / all.length;
      for (const g of groups) {
        const c = centred(g.features[feature]);
        g.features[feature].forEach((r, i) => {
          for (let j = 0; j < hidden; j++) {
            within += c[i]![j]! ** 2;
            total += (r[j]! - grand[j]!) ** 2;
          }
        });
      }
      const gram = new Float64Array(hidden * hidden);
      const rhs = new Float64Array(hidden);
      for (const g of train) {
        const x = centred(g.features[feature]);
        const y = g.examples.map((e) => logOdds(e.pYes!));
        const my = y.reduce((s, v) => s + v, 0) / y.length;
        x.forEach((r, i) => {
          for (let a = 0; a < hidden; a++) {
            rhs[a]! += r[a]! * (y[i]! - my);
            for (let b = 0; b <= a; b++) gram[a * hidden + b]! += r[a]! * r[b]!;
          }
        });
      }
      for (let a = 0; a < hidden; a++)
        for (let b = 0; b < a; b++) gram[b * hidden + a] = gram[a * hidden + b]!;
      let scale = 0;
      for (let a = 0; a < hidden; a++) scale += gram[a * hidden + a]! / hidden;
      for (const lambda of RIDGE) {
        const w = ridgeSolve(gram, rhs, hidden, lambda * scale);
        const predict = (g: Group) => g.features[feature].map((r) => r.reduce((s, v, j) => s + v * w[j]!, 0));
        const corr = (gs: readonly Group[], target: (e: TrainingExample) => number) =>
          mean(gs.map((g) => pearson(predict(g), g.examples.map(target))));
        rows.push({
          set: set.name,
          feature,
          'ridge λ/mean diag': lambda,
          'within-query var share': within / total,
          'train: probe~p(yes)': corr(train, (e) => e.pYes!),
          'dev: probe~p(yes)': corr(dev, (e) => e.pYes!),
          'dev: probe~human': corr(dev, human),
          'dev: p(yes)~human': mean(
            dev.map((g) =>
              pearson(
                g.examples.map((e) => e.pYes!),
                g.examples.map(human),
              ),
            ),
          ),
          'train queries': train.length,
          'dev queries': dev.length,
        });
      }
    }
  }
  printTable(rows, 3);
  writeResult('ce-probe', {
    question: "which frozen pooled state of the base encoder carries the judge's within-query order",
    model: 'all-minilm-l6-v2',
    maxLength: MAX_LENGTH,
    rows,
  });
}

await main();
