// Question: what do the choices of the distillation recipe buy? Same base model, settings and dev split
// as `sift train --preset default` (src/train/presets.ts), on the same (query, document) pairs of the
// committed label sets, changing one thing at a time:
//   - judge-soft: the preset (BCE on the calibrated normalised grade, a soft target);
//   - judge-hard: the same labels hardened (target 1 when the soft target ≥ 0.5, else 0);
//   - golden: the collection's human grades on the same pairs (unjudged = 0, TREC's convention),
//     normalised by the collection's top grade: what training on human labels alone gives;
//   - mix: the mean of the judge's and the human target;
//   - judge-soft@N: learning curve, the first N labels in a seeded order of whole training queries.
// Each model reranks hybrid's top 100 on the *test* queries of each collection (never labelled),
// a fixed seeded sample of --max-queries per collection to bound the time; reported: NDCG@10 and its
// difference from hybrid with the paired randomisation test.
//
//   npm run build && node dist/bench/distill-variants.js [--variants a,b] [--max-queries 40] [--name F]
// Results: bench/results/distill-variants.json (or <--name>.json).

import { join } from 'node:path';
import { ensureDemoCollection } from '../src/demo/index.js';
import { perQueryScores, randomisationTest } from '../src/eval/index.js';
import { loadBeirCollection } from '../src/ingest/index.js';
import { ensureModel, installTrainedModel } from '../src/models/index.js';
import { evaluateCollection } from '../src/search/index.js';
import {
  committedLabelSets,
  devSplit,
  preset,
  readTrainingJsonl,
  type TrainingExample,
  trainCrossEncoder,
} from '../src/train/index.js';
import { Mulberry32, sharedDir, siftPaths } from '../src/util/index.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

const RERANK_DEPTH = 100;
const ALL_VARIANTS = [
  'judge-soft',
  'judge-hard',
  'golden',
  'mix',
  'judge-soft@100',
  'judge-soft@300',
  'judge-soft@1000',
];

/** Label set name → its collection folder. */
async function collectionFolders(): Promise<Record<string, string>> {
  const demo = await ensureDemoCollection({ root: siftPaths().collections, seed: 2026, docs: 5000 });
  const shared = sharedDir();
  return {
    cranfield: join(shared, 'data', 'cranfield'),
    'dbpedia-entity-subset': join(shared, 'data', 'dbpedia-entity-subset'),
    jobs: demo.folder,
  };
}

/** The committed labels, keyed by set, with each pair's human target (unjudged = 0) beside the judge's. */
async function labelledPairs(
  folders: Record<string, string>,
): Promise<(TrainingExample & { human: number })[]> {
  const all: (TrainingExample & { human: number })[] = [];
  for (const set of committedLabelSets()) {
    const collection = await loadBeirCollection(folders[set.name]!, {});
    let top = 1;
    for (const judged of collection.qrels.values()) for (const g of judged.values()) top = Math.max(top, g);
    for (const example of await readTrainingJsonl(set.file)) {
      const grade = Math.max(0, collection.qrels.get(example.queryId)?.get(example.docId) ?? 0);
      all.push({ ...example, queryId: `${set.name}\u0000${example.queryId}`, human: grade / top });
    }
  }
  return all;
}

/** The first `n` labels in a seeded order of whole queries (so a query's pairs stay together). */
function firstLabels<T extends TrainingExample>(examples: readonly T[], n: number): T[] {
  const queries = [...new Set(examples.map((e) => e.queryId))];
  const rng = new Mulberry32(7);
  for (let i = queries.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [queries[i], queries[j]] = [queries[j]!, queries[i]!];
  }
  const out: T[] = [];
  for (const query of queries) {
    if (out.length >= n) break;
    out.push(...examples.filter((e) => e.queryId === query));
  }
  return out;
}

function variantExamples(
  name: string,
  pairs: readonly (TrainingExample & { human: number })[],
): TrainingExample[] {
  const [kind, size] = name.split('@');
  const target = (e: TrainingExample & { human: number }): number => {
    switch (kind) {
      case 'judge-soft':
        return e.gradeNormalized;
      case 'judge-hard':
        return e.gradeNormalized >= 0.5 ? 1 : 0;
      case 'golden':
        return e.human;
      case 'mix':
        return (e.gradeNormalized + e.human) / 2;
      default:
        throw new Error(`unknown variant ${name} (known: ${ALL_VARIANTS.join(', ')})`);
    }
  };
  const examples = pairs.map((e) => ({
    ...e,
    gradeNormalized: target(e),
    grade: kind === 'golden' ? e.human : e.grade,
  }));
  return size ? firstLabels(examples, Number(size)) : examples;
}

async function main(): Promise<void> {
  const variants = stringArg('--variants', ALL_VARIANTS.join(',')).split(',').filter(Boolean);
  const maxQueries = positiveIntArg('--max-queries', 40);
  const folders = await collectionFolders();
  const pairs = await labelledPairs(folders);
  const recipe = preset('default');
  if (recipe.kind !== 'cross-encoder') throw new Error('the default preset trains a cross-encoder');
  const base = await ensureModel(recipe.base, { quiet: true });
  const rows: Record<string, string | number>[] = [];
  const trained: Record<string, unknown> = {};

  const hybrid: Record<string, Awaited<ReturnType<typeof evaluateCollection>>> = {};
  for (const [name, folder] of Object.entries(folders)) {
    hybrid[name] = await evaluateCollection(folder, {
      mode: 'hybrid',
      indexesRoot: siftPaths().indexes,
      split: 'test',
      maxQueries,
      quiet: true,
    });
    const { metrics, queries } = hybrid[name].result;
    rows.push({
      variant: 'hybrid (no reranker)',
      labels: 0,
      collection: name,
      queries,
      'ndcg@10': metrics['ndcg@10']!,
      Δ: '',
      p: '',
    });
  }

  for (const variant of variants) {
    const examples = variantExamples(variant, pairs);
    const train = examples.filter((e) => devSplit(e.queryId) === 'train');
    const dev = examples.filter((e) => devSplit(e.queryId) === 'dev');
    const id = `bench-ce-${variant.replace('@', '-at-')}`;
    const started = performance.now();
    const result = await trainCrossEncoder({
      modelDir: base,
      // One run folder per variant and head: a run made with the other head is another run.
      outDir: join(siftPaths().home, 'train', 'bench-variants', `${variant}-${recipe.settings.head}`),
      train,
      ...(dev.length ? { dev } : {}),
      ...recipe.settings,
      evalEvery: Math.ceil(train.length / recipe.settings.batchSize),
      quiet: true,
    });
    await installTrainedModel(result.bestCheckpoint, {
      version: 1,
      id,
      kind: 'cross-encoder',
      preset: 'custom',
      base: recipe.base,
      createdAt: new Date().toISOString(),
      variant,
      settings: recipe.settings,
    });
    trained[variant] = {
      labels: examples.length,
      train: train.length,
      dev: dev.length,
      steps: result.steps,
      bestDevNdcg10: result.bestDevNdcg10,
      trainSeconds: (performance.now() - started) / 1000,
    };
    for (const [name, folder] of Object.entries(folders)) {
      const reranked = await evaluateCollection(folder, {
        mode: 'hybrid',
        indexesRoot: siftPaths().indexes,
        split: 'test',
        maxQueries,
        quiet: true,
        rerank: id,
        rerankDepth: RERANK_DEPTH,
      });
      const test = randomisationTest(
        perQueryScores(reranked.result, 'ndcg@10'),
        perQueryScores(hybrid[name]!.result, 'ndcg@10'),
      );
      rows.push({
        variant,
        labels: examples.length,
        collection: name,
        queries: reranked.result.queries,
        'ndcg@10': reranked.result.metrics['ndcg@10']!,
        Δ: test.meanDifference,
        p: test.pValue,
      });
      console.error(`${variant} ${name}: ndcg@10 ${reranked.result.metrics['ndcg@10']!.toFixed(4)}`);
    }
    // Written after every variant: each costs tens of minutes, and a stopped run keeps what it measured.
    save();
  }
  printTable(rows);
  save();

  function save(): string {
    return writeResult(stringArg('--name', 'distill-variants'), {
      machine: machineInfo(),
      split: 'test',
      maxQueriesPerCollection: maxQueries,
      rerankDepth: RERANK_DEPTH,
      settings: recipe.settings,
      trained,
      rows,
    });
  }
}

await main();
