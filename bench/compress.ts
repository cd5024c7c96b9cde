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
// Recovery: the pruned models that lose most are fine-tuned to reproduce the full model's order of BM25's
// top 16 for the training queries (compress/recover.ts), and rerank again as "+ recovery" rows.
// Context compression: extractive summaries (and leading-token truncation, their baseline) alone and on
// top of pruning; model-written summaries and embedding tokens are not built yet and have no rows.
// Quantisation: "+ int8" rows rank with the same model's int8 graph (int8 encoder MatMuls).
//
// A yes/no decoder student (--model sift-yesno-smollm2-135m) gets its own variants: MLP neurons at 25% and
// 50% (OSSCAR and magnitude), −8 of its 30 layers (the paper dropped 8 of 28), both, and summaries; heads
// are not pruned (its query heads share key/value groups), and recovery and int8 rows are the
// cross-encoder's. A decoder is slow on two cores, so its runs use --depth 20 --max-document-tokens 128.
//
// Tokens per item are what the ranker evaluates per candidate (Ranker.tokensFor) for test queries against
// a seeded sample of documents: the whole (query, document) pair for a cross-encoder, the item's tokens
// only for a decoder (its prompt prefix is evaluated once per query and shared).
//
//   npm run build && bin/sift train --preset default && node dist/bench/compress.js [--max-queries N]
//     [--model ID] [--variants name,name] [--recover-titles N] [--depth N] [--max-document-tokens N]
//     [--name F]
// Results: bench/results/compress.json (or <--name>.json).

import {
  pruneTrainedModel,
  recoverPrunedModel,
  summariseIndex,
  trainEmbeddingTokens,
} from '../src/compress/index.js';
import { perQueryScores, randomisationTest } from '../src/eval/index.js';
import { type SiftIndex, SummaryFile, type SummaryVariant } from '../src/index/index.js';
import { loadBeirCollection, querySplit } from '../src/ingest/index.js';
import { ensureModel, installedTrainedModel, readTrainedModel } from '../src/models/index.js';
import { openRanker } from '../src/rank/index.js';
import { type CollectionEvalOutcome, evaluateCollection, openCollection } from '../src/search/index.js';
import { mulberry32, siftPaths } from '../src/util/index.js';
import { learnedRankerCollections } from './lib/learned-collections.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

// Hybrid's top N each variant reorders: 100 unless --depth says less (a decoder's runs use 20).
const RERANK_DEPTH = positiveIntArg('--depth', 100);
// --max-document-tokens N: a decoder ranker reads documents cut to N tokens (its tuning, every variant).
const MAX_DOCUMENT_TOKENS = positiveIntArg('--max-document-tokens', 0);

interface Variant {
  name: string;
  /** The pruned model this variant reranks with (default: the full model). */
  prune?: { method?: 'osscar' | 'magnitude'; mlp?: number; heads?: number; dropLayers?: number };
  /** The ranker reads these summaries instead of the full text. */
  summaries?: SummaryVariant;
  /** The pruned model after its recovery fine-tune (compress/recover.ts). */
  recover?: true;
  /** The ranker's encoder MatMuls in int8 ("<id>:int8": dynamically quantised activations). */
  int8?: true;
  /** The embedding-token ranker made from the model (a decoder): each item read as one vector. */
  embedTokens?: true;
}

const SUMMARY_BUDGET = 64;
const EXTRACTIVE: SummaryVariant = { method: 'extractive', budget: SUMMARY_BUDGET };
const LEAD: SummaryVariant = { method: 'lead', budget: SUMMARY_BUDGET };
const MID = { mlp: 0.5, dropLayers: 2 };
const SMALL = { mlp: 0.75, heads: 0.5, dropLayers: 3 };

/** The variants (model-written summaries and embedding tokens are not built yet). */
const ALL_VARIANTS: Variant[] = [
  { name: 'full' },
  { name: 'osscar-mlp50', prune: { mlp: 0.5 } },
  { name: 'magnitude-mlp50', prune: { method: 'magnitude', mlp: 0.5 } },
  { name: 'osscar-mlp50-drop-2', prune: MID },
  { name: 'osscar-mlp75-heads50-drop-3', prune: SMALL },
  { name: 'magnitude-mlp75-heads50-drop-3', prune: { method: 'magnitude', ...SMALL } },
  { name: 'osscar-mlp50-drop-2 + recovery', prune: MID, recover: true },
  { name: 'osscar-mlp75-heads50-drop-3 + recovery', prune: SMALL, recover: true },
  {
    name: 'magnitude-mlp75-heads50-drop-3 + recovery',
    prune: { method: 'magnitude', ...SMALL },
    recover: true,
  },
  { name: `lead-${SUMMARY_BUDGET} (truncation)`, summaries: LEAD },
  { name: `summaries-${SUMMARY_BUDGET}`, summaries: EXTRACTIVE },
  { name: `osscar-mlp50-drop-2 + summaries-${SUMMARY_BUDGET}`, prune: MID, summaries: EXTRACTIVE },
  { name: `osscar-mlp75-heads50-drop-3 + summaries-${SUMMARY_BUDGET}`, prune: SMALL, summaries: EXTRACTIVE },
  { name: 'int8', int8: true },
  { name: 'osscar-mlp50 + int8', prune: { mlp: 0.5 }, int8: true },
  {
    name: `osscar-mlp50 + summaries-${SUMMARY_BUDGET} + int8`,
    prune: { mlp: 0.5 },
    summaries: EXTRACTIVE,
    int8: true,
  },
  { name: `summaries-${SUMMARY_BUDGET} + int8`, summaries: EXTRACTIVE, int8: true },
  { name: 'osscar-mlp50 + recovery', prune: { mlp: 0.5 }, recover: true },
  {
    name: `osscar-mlp50 + recovery + summaries-${SUMMARY_BUDGET} + int8`,
    prune: { mlp: 0.5 },
    recover: true,
    summaries: EXTRACTIVE,
    int8: true,
  },
  {
    name: `osscar-mlp50-drop-2 + recovery + summaries-${SUMMARY_BUDGET}`,
    prune: MID,
    recover: true,
    summaries: EXTRACTIVE,
  },
  {
    name: `osscar-mlp50-drop-2 + recovery + summaries-${SUMMARY_BUDGET} + int8`,
    prune: MID,
    recover: true,
    summaries: EXTRACTIVE,
    int8: true,
  },
];

/** A yes/no decoder's variants: MLP neurons and whole layers (its heads share key/value groups). */
const DECODER_DROP = { dropLayers: 8 };
const DECODER_VARIANTS: Variant[] = [
  { name: 'full' },
  { name: 'osscar-mlp25', prune: { mlp: 0.25 } },
  { name: 'osscar-mlp50', prune: { mlp: 0.5 } },
  { name: 'magnitude-mlp50', prune: { method: 'magnitude', mlp: 0.5 } },
  { name: 'osscar-drop-8', prune: DECODER_DROP },
  { name: 'osscar-mlp50-drop-8', prune: { mlp: 0.5, ...DECODER_DROP } },
  { name: `lead-${SUMMARY_BUDGET} (truncation)`, summaries: LEAD },
  { name: `summaries-${SUMMARY_BUDGET}`, summaries: EXTRACTIVE },
  { name: `osscar-mlp50 + summaries-${SUMMARY_BUDGET}`, prune: { mlp: 0.5 }, summaries: EXTRACTIVE },
  { name: 'embedding-tokens (experimental)', embedTokens: true },
];

/** --variants a,b,… runs only those rows (by name; 'full' is always run, as every Δ is against it). */
function chosenVariants(all: Variant[]): Variant[] {
  const only = stringArg('--variants', '');
  return only ? all.filter((v) => v.name === 'full' || only.split(',').includes(v.name)) : all;
}
// --embed-queries N: training queries per collection the embedding-token adapter learns on (a seeded
// sample; the teacher is the decoder reading each candidate's full text, about a second per pair).
const EMBED_QUERIES = positiveIntArg('--embed-queries', 40);
// --recover-titles N also teaches the recovery on N corpus titles per collection as queries.
const RECOVER_TITLES = positiveIntArg('--recover-titles', 0);

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
  const folders = await learnedRankerCollections();

  const card = await readTrainedModel(model);
  const decoder = card?.kind === 'decoder-ranker';
  const VARIANTS = chosenVariants(decoder ? DECODER_VARIANTS : ALL_VARIANTS);
  const tuning = MAX_DOCUMENT_TOKENS > 0 ? { maxDocumentTokens: MAX_DOCUMENT_TOKENS } : undefined;
  // One pruned model per distinct pruning spec; one installed by an earlier run of this bench from the same
  // source model and spec is reused (its card records both).
  const pruned = new Map<string, { id: string; nonEmbedding: number; blocks: unknown }>();
  let fullParams = Number.NaN;
  for (const variant of VARIANTS) {
    if (!variant.prune) continue;
    const key = JSON.stringify(variant.prune);
    if (pruned.has(key)) continue;
    const id = `bench-compress-${variantSlug(variant.prune)}`;
    const spec = {
      method: variant.prune.method ?? 'osscar',
      mlp: variant.prune.mlp ?? 0,
      heads: variant.prune.heads ?? 0,
      dropLayers: variant.prune.dropLayers ?? 0,
    };
    const existing = await readTrainedModel(id).catch(() => undefined);
    const was = existing?.['pruning'] as
      | {
          method: string;
          mlp: number;
          heads: number;
          dropLayers: number;
          calibration: { pairs: number };
          parameters: { before: { nonEmbedding: number }; after: { nonEmbedding: number } };
          blocks: unknown;
        }
      | undefined;
    const source = existing?.['source'] as { createdAt?: string } | undefined;
    if (
      was &&
      source?.createdAt === card?.createdAt &&
      was.method === spec.method &&
      was.mlp === spec.mlp &&
      was.heads === spec.heads &&
      was.dropLayers === spec.dropLayers &&
      was.calibration.pairs === pairs
    ) {
      console.error(`reusing ${id}`);
      pruned.set(key, { id, nonEmbedding: was.parameters.after.nonEmbedding, blocks: was.blocks });
      fullParams = was.parameters.before.nonEmbedding;
      continue;
    }
    console.error(`pruning ${id}`);
    const result = await pruneTrainedModel({
      model,
      out: id,
      calibration: folders,
      pairs,
      quiet: true,
      ...variant.prune,
    });
    pruned.set(key, { id, nonEmbedding: result.prune.after.nonEmbedding, blocks: result.prune.layers });
    fullParams = result.prune.before.nonEmbedding;
  }
  // The recovery fine-tune of each pruned model a variant asks for; one an earlier run installed from the
  // same pruned model (its card's base and a later createdAt) is reused.
  const recovered = new Map<string, { id: string; recovery: unknown }>();
  for (const variant of VARIANTS) {
    if (!variant.recover || !variant.prune) continue;
    const key = JSON.stringify(variant.prune);
    if (recovered.has(key)) continue;
    const from = pruned.get(key)!.id;
    const id = RECOVER_TITLES > 0 ? `${from}-recovered-t${RECOVER_TITLES}` : `${from}-recovered`;
    const fromCard = await readTrainedModel(from);
    const existing = await readTrainedModel(id).catch(() => undefined);
    const titlesOf = (card: typeof existing) =>
      (card?.['recovery'] as { titleQueries?: number } | undefined)?.titleQueries ?? 0;
    if (
      existing &&
      existing.base === from &&
      fromCard &&
      existing.createdAt > fromCard.createdAt &&
      titlesOf(existing) === RECOVER_TITLES
    ) {
      console.error(`reusing ${id}`);
      recovered.set(key, { id, recovery: existing['recovery'] });
      continue;
    }
    console.error(`recovery fine-tune of ${from} → ${id}`);
    const result = await recoverPrunedModel({
      pruned: from,
      out: id,
      collections: folders,
      titleQueries: RECOVER_TITLES,
      quiet: true,
    });
    recovered.set(key, { id, recovery: { ...(result.card['recovery'] as object), seconds: result.seconds } });
  }
  // The embedding-token ranker, made once per source model (reused while the source is the same model).
  let embedded: { id: string; card: unknown } | undefined;
  if (VARIANTS.some((v) => v.embedTokens)) {
    const id = `bench-embtok-${model}`.slice(0, 64);
    const existing = await readTrainedModel(id).catch(() => undefined);
    const made = existing?.['embeddingTokens'] as { maxQueries?: number; targets?: string } | undefined;
    const from = existing?.['source'] as { createdAt?: string } | undefined;
    if (
      existing &&
      from?.createdAt === card?.createdAt &&
      made?.maxQueries === EMBED_QUERIES &&
      made.targets === 'standardised'
    ) {
      console.error(`reusing ${id}`);
      embedded = { id, card: existing };
    } else {
      console.error(`training ${id}`);
      const result = await trainEmbeddingTokens({
        model,
        out: id,
        collections: folders,
        maxQueries: EMBED_QUERIES,
      });
      embedded = { id, card: result.card };
    }
  }
  const modelOf = (v: Variant) =>
    v.embedTokens
      ? embedded!.id
      : v.prune
        ? v.recover
          ? recovered.get(JSON.stringify(v.prune))!.id
          : pruned.get(JSON.stringify(v.prune))!.id
        : model;
  const rankerOf = (v: Variant) => (v.int8 ? `${modelOf(v)}:int8` : modelOf(v));
  // An embedding-token ranker is the full decoder plus its item adapter.
  const adapterParams = (() => {
    const a = (
      embedded?.card as { embeddingTokens?: { adapter: { in: number; hidden: number; out: number } } }
    )?.embeddingTokens?.adapter;
    return a ? a.hidden * (a.in + 1) + a.out * (a.hidden + 1) : 0;
  })();
  const paramsOf = (v: Variant) =>
    v.prune
      ? pruned.get(JSON.stringify(v.prune))!.nonEmbedding
      : v.embedTokens
        ? fullParams + adapterParams
        : fullParams;

  // Summary budgets are counted in the cross-encoders' WordPiece tokens, for every ranker: one summary
  // file per (method, budget) serves them all.
  const summaryTokenizer = decoder ? await ensureModel('all-minilm-l6-v2', { quiet: true }) : source;
  const rows: Row[] = [];
  // One untimed pass first: the process's first ranking pays for warming ONNX Runtime and the page cache,
  // which would otherwise be charged to the first collection's 'full' row and inflate every speed-up there.
  await evaluateCollection(folders[0]!, {
    mode: 'hybrid',
    indexesRoot: siftPaths().indexes,
    split: 'test',
    maxQueries: 2,
    quiet: true,
    rerank: model,
    rerankDepth: RERANK_DEPTH,
    ...(tuning ? { rerankTuning: tuning } : {}),
  });
  for (const folder of folders) {
    const opened = await openCollection(folder, siftPaths().indexes, true);
    for (const summaries of [LEAD, EXTRACTIVE]) {
      const made = await summariseIndex({
        index: opened.index,
        budget: summaries.budget,
        method: summaries.method === 'lead' ? 'lead' : 'extractive',
        tokenizerDir: summaryTokenizer,
        quiet: true,
      });
      if (made.made > 0)
        console.error(`${opened.index.name}: ${made.made} ${summaries.method} summaries made`);
    }
    const tokensOf = await tokenMeans(opened.index, folder, model, tuning);
    const embeddedTokens = embedded ? (await tokenMeans(opened.index, folder, embedded.id, tuning))() : 0;
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
          rerank: rankerOf(variant),
          rerankDepth: RERANK_DEPTH,
          ...(tuning ? { rerankTuning: tuning } : {}),
          ...(variant.summaries ? { rerankSummaries: variant.summaries } : {}),
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
        'params (M, non-emb)': paramsOf(variant) / 1e6,
        'tokens/item': variant.embedTokens ? embeddedTokens : tokensOf(variant.summaries),
      });
    }
  }
  printTable(rows as unknown as Record<string, string | number>[]);

  const errorRows: Record<string, string | number>[] = [];
  const osscar = pruned.get(JSON.stringify({ mlp: 0.5 }))?.blocks as {
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
    maxDocumentTokens: MAX_DOCUMENT_TOKENS || null,
    calibrationPairs: pairs,
    variants: VARIANTS,
    rows,
    pruned: Object.fromEntries([...pruned.values()].map((p) => [p.id, p])),
    recovered: Object.fromEntries([...recovered.values()].map((r) => [r.id, r.recovery])),
    embeddingTokens: embedded?.card ?? null,
    notBuilt: ['model-written (LLM) summaries'],
  });
  console.log(`wrote ${file}`);
}

function variantSlug(p: NonNullable<Variant['prune']>): string {
  const parts: string[] = [p.method ?? 'osscar'];
  if (p.mlp) parts.push(`mlp${Math.round(p.mlp * 100)}`);
  if (p.heads) parts.push(`heads${Math.round(p.heads * 100)}`);
  if (p.dropLayers) parts.push(`drop${p.dropLayers}`);
  return parts.join('-');
}

/**
 * Mean tokens the ranker evaluates per candidate (its own count, Ranker.tokensFor), for the full text and
 * for each summary variant: test queries against a seeded sample of 300 documents.
 */
async function tokenMeans(
  index: SiftIndex,
  folder: string,
  model: string,
  tuning: { maxDocumentTokens: number } | undefined,
): Promise<(summaries?: SummaryVariant) => number> {
  const collection = await loadBeirCollection(folder);
  const queries = collection.queries.filter((q) => querySplit(q.id) === 'test').slice(0, 50);
  const live = [...index.docs.liveOrdinals()];
  const random = mulberry32(11);
  const docs = Array.from({ length: Math.min(300, live.length) }, () =>
    index.docs.get(live[Math.floor(random() * live.length)]!),
  );
  const files = new Map<string, SummaryFile>();
  for (const v of [LEAD, EXTRACTIVE]) files.set(v.method, await SummaryFile.open(index.dir, v));
  const ranker = await openRanker(model, { quiet: true, ...(tuning ? { tuning } : {}) });
  try {
    if (!ranker.tokensFor) throw new Error(`${model} does not count its tokens`);
    const countTokens = ranker.tokensFor.bind(ranker);
    const mean = (summaries?: SummaryVariant) => {
      let total = 0;
      docs.forEach((d, i) => {
        const text = summaries ? (files.get(summaries.method)!.get(d.id, d) ?? d.text) : d.text;
        const query = queries[i % queries.length]!.text;
        total += countTokens(query, [{ id: d.id, title: d.title, text }])[0]!;
      });
      return total / docs.length;
    };
    const full = mean();
    const extractive = mean(EXTRACTIVE);
    const lead = mean(LEAD);
    return (summaries) => (!summaries ? full : summaries.method === 'lead' ? lead : extractive);
  } finally {
    await ranker.release();
  }
}

await main();
