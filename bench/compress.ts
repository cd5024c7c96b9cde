// Question: how much faster can a distilled cross-encoder rerank after structured pruning, and what does
// it cost in quality? And does OSSCAR's refit beat magnitude pruning at the same sparsity?
//
// Prunes the trained cross-encoder (--model, default sift-ce-minilm-l6) into each variant below, with
// calibration pairs from the three collections' *training* queries (compress/prune-trained.ts), installs
// each as a trained model (bench-compress-<variant>), then reranks hybrid's top 100 on each collection's
// *test* queries with every variant in the same run: NDCG@10 (trec_eval conventions, human qrels), its
// difference from the full model with the paired randomisation test, items/s and the speed-up over the
// full model, and non-embedding parameters. A second table gives each block's relative reconstruction
// error ½‖XW0 − XW‖² / ½‖XW0‖² for OSSCAR and for magnitude pruning on the same calibration inputs.
// Context compression (summaries, embedding tokens) is not built yet and has no rows.
//
// Tokens per item are the mean tokenised (query, document) length of each collection's calibration
// pairs at the ranker's maxLength: no variant changes the input, so one number per collection.
//
//   npm run build && bin/sift train --preset default && node dist/bench/compress.js [--max-queries N]
// Results: bench/results/compress.json (or <--name>.json).

import { join } from 'node:path';
import { calibrationPairs, pruneTrainedModel } from '../src/compress/index.js';
import { ensureDemoCollection } from '../src/demo/index.js';
import { perQueryScores, randomisationTest } from '../src/eval/index.js';
import { installedTrainedModel, loadTokenizer, readTrainedModel } from '../src/models/index.js';
import { type CollectionEvalOutcome, evaluateCollection } from '../src/search/index.js';
import { sharedDir, siftPaths } from '../src/util/index.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

const RERANK_DEPTH = 100;

interface Variant {
  name: string;
  method?: 'osscar' | 'magnitude';
  mlp?: number;
  heads?: number;
  dropLayers?: number;
}

/** The variants (summaries and embedding tokens are not built yet). */
const VARIANTS: Variant[] = [
  { name: 'full' },
  { name: 'osscar-mlp25', mlp: 0.25 },
  { name: 'osscar-mlp50', mlp: 0.5 },
  { name: 'magnitude-mlp50', method: 'magnitude', mlp: 0.5 },
  { name: 'drop-2-layers', dropLayers: 2 },
  { name: 'osscar-mlp50-drop-2', mlp: 0.5, dropLayers: 2 },
  { name: 'osscar-mlp75-heads50-drop-3', mlp: 0.75, heads: 0.5, dropLayers: 3 },
  { name: 'magnitude-mlp75-heads50-drop-3', method: 'magnitude', mlp: 0.75, heads: 0.5, dropLayers: 3 },
];

interface Row {
  collection: string;
  variant: string;
  queries: number;
  'ndcg@10': number;
  'Δ vs full': number | string;
  p: number | string;
  'items/s': number;
  speedup: number;
  'params (M, non-emb)': number;
  'tokens/item': number;
}

async function main(): Promise<void> {
  const model = stringArg('--model', 'sift-ce-minilm-l6');
  const maxQueries = positiveIntArg('--max-queries', 0);
  const pairs = positiveIntArg('--pairs', 256);
  const source = installedTrainedModel(model);
  if (!source) throw new Error(`${model} is not installed: run bin/sift train --preset default first`);
  const shared = sharedDir();
  const demo = await ensureDemoCollection({ root: siftPaths().collections, seed: 2026, docs: 5000 });
  const folders = [
    join(shared, 'data', 'cranfield'),
    join(shared, 'data', 'dbpedia-entity-subset'),
    demo.folder,
  ];

  const ids = new Map<string, string>();
  const params = new Map<string, number>();
  const blocks: Record<string, unknown> = {};
  for (const variant of VARIANTS) {
    if (variant.name === 'full') {
      ids.set(variant.name, model);
      continue;
    }
    const id = `bench-compress-${variant.name}`;
    console.error(`pruning ${variant.name}`);
    const result = await pruneTrainedModel({
      model,
      out: id,
      calibration: folders,
      pairs,
      quiet: true,
      ...(variant.method ? { method: variant.method } : {}),
      ...(variant.mlp ? { mlp: variant.mlp } : {}),
      ...(variant.heads ? { heads: variant.heads } : {}),
      ...(variant.dropLayers ? { dropLayers: variant.dropLayers } : {}),
    });
    ids.set(variant.name, id);
    params.set(variant.name, result.prune.after.nonEmbedding);
    params.set('full', result.prune.before.nonEmbedding);
    blocks[variant.name] = result.prune.layers;
  }

  const card = await readTrainedModel(model);
  const maxLength = ((card?.['settings'] ?? {}) as { maxLength?: number }).maxLength ?? 256;
  const tokenizer = await loadTokenizer(source, { maxLength });
  const rows: Row[] = [];
  for (const folder of folders) {
    const sample = await calibrationPairs([folder], 200, 7);
    const encoded = tokenizer.encodePairs(
      sample.map((p) => p.query),
      sample.map((p) => (p.title.trim() === '' ? p.text : `${p.title}\n${p.text}`)),
      { maxLength, truncation: 'only_second' },
    );
    const tokens = encoded.ids.reduce((s, ids) => s + ids.length, 0) / encoded.ids.length;
    const outcomes = new Map<string, CollectionEvalOutcome>();
    for (const variant of VARIANTS) {
      outcomes.set(
        variant.name,
        await evaluateCollection(folder, {
          mode: 'hybrid',
          indexesRoot: siftPaths().indexes,
          split: 'test',
          ...(maxQueries > 0 ? { maxQueries } : {}),
          quiet: true,
          rerank: ids.get(variant.name)!,
          rerankDepth: RERANK_DEPTH,
        }),
      );
      console.error(`${folder.split('/').pop()}: ${variant.name} done`);
    }
    const full = outcomes.get('full')!;
    const rate = (o: CollectionEvalOutcome) =>
      (o.timings.rankedItems ?? 0) / (o.timings.rankSeconds || Number.NaN);
    for (const variant of VARIANTS) {
      const outcome = outcomes.get(variant.name)!;
      const test =
        variant.name === 'full'
          ? undefined
          : randomisationTest(
              perQueryScores(outcome.result, 'ndcg@10'),
              perQueryScores(full.result, 'ndcg@10'),
            );
      rows.push({
        collection: outcome.collection.name,
        variant: variant.name,
        queries: outcome.result.queries,
        'ndcg@10': outcome.result.metrics['ndcg@10']!,
        'Δ vs full': test ? test.meanDifference : '',
        p: test ? test.pValue : '',
        'items/s': rate(outcome),
        speedup: rate(outcome) / rate(full),
        'params (M, non-emb)': (params.get(variant.name) ?? Number.NaN) / 1e6,
        'tokens/item': tokens,
      });
    }
  }
  printTable(rows as unknown as Record<string, string | number>[]);

  const errorRows: Record<string, string | number>[] = [];
  const osscar = blocks['osscar-mlp50'] as {
    layer: number;
    relativeError: number;
    magnitudeRelativeError: number;
  }[];
  for (const block of osscar ?? []) {
    errorRows.push({
      layer: block.layer,
      'MLP 50%: OSSCAR rel. error': block.relativeError,
      'magnitude rel. error': block.magnitudeRelativeError,
      ratio: block.relativeError / block.magnitudeRelativeError,
    });
  }
  printTable(errorRows);
  const file = writeResult(stringArg('--name', 'compress'), {
    machine: machineInfo(),
    model,
    modelCard: card,
    split: 'test',
    rerankDepth: RERANK_DEPTH,
    calibrationPairs: pairs,
    variants: VARIANTS,
    rows,
    blocks,
    notBuilt: ['summaries', 'pruned + summaries', 'embedding tokens', 'decoder-family pruning'],
  });
  console.log(`wrote ${file}`);
}

await main();
