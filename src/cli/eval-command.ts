// `sift eval`: score TREC runs against qrels, or evaluate a retrieval mode on a BEIR collection.
//
// Contract forms (used by tools outside the project; keep them exactly):
//   sift eval --run <run-file> --qrels <qrels.tsv>
//   sift eval --collection <beir-folder> --mode bm25|dense|hybrid [--rerank <ranker-id>|default]
//             [--backend local|weaviate --url <url>] [--json FILE]

import type { Command } from 'commander';
import { llmSummaryPromptHash } from '../compress/index.js';
import { SiftError } from '../errors.js';
import {
  type EvalResult,
  evaluateRun,
  formatMetricsTable,
  readQrels,
  readTrecRun,
  toJsonReport,
  writeTrecRun,
} from '../eval/index.js';
import type { SummaryVariant } from '../index/index.js';
import type { QuerySplit } from '../ingest/index.js';
import type { FieldCombination } from '../retrieve/index.js';
import { BACKENDS, evaluateCollection, parseBackend, parseMode, RETRIEVAL_MODES } from '../search/index.js';
import { siftPaths, writeFileAtomic } from '../util/index.js';
import { DEFAULT_SUMMARY_MODEL } from './compress-command.js';
import {
  addRemoteLayoutOptions,
  parseNonNegativeNumber,
  parsePositiveInt,
  parseSummaryMethod,
  remoteLayout,
} from './options.js';

export function registerEvalCommand(program: Command): void {
  addRemoteLayoutOptions(program.command('eval'))
    .description('measure retrieval quality (NDCG@10, Recall@100, MRR@10, MAP)')
    .option(
      '--run <file>',
      'TREC run file to score (repeat to compare runs side by side; the first is the baseline)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--qrels <file>',
      'qrels for --run: BEIR TSV (query-id corpus-id score) or TREC (qid 0 docid grade)',
    )
    .option('--collection <folder>', 'BEIR collection to index (cached in $SIFT_HOME) and evaluate')
    .option('--mode <mode>', `retrieval mode with --collection: ${RETRIEVAL_MODES.join('|')}`, 'bm25')
    .option(
      '--embedder <id>',
      'embedder for dense and hybrid modes (see `sift models list`; ":int8" quantises)',
    )
    .option(
      '--rerank <ranker>',
      "rerank each query's top 100 with this ranker (default, or an id from `sift models list`)",
    )
    .option('--rerank-depth <n>', 'first-stage hits the ranker re-scores', parsePositiveInt, 100)
    .option(
      '--rerank-summaries <budget>',
      'the ranker reads the summaries of this token budget (sift compress summaries) instead of full text',
      parsePositiveInt,
    )
    .option('--summary-method <method>', 'with --rerank-summaries: extractive | lead | llm', 'extractive')
    .option(
      '--summary-model <id>',
      'with --summary-method llm: the model that wrote them (default the judge model)',
    )
    .option(
      '--max-queries <n>',
      'evaluate a fixed random sample of this many judged queries',
      parsePositiveInt,
    )
    .option(
      '--split <side>',
      "only queries on this side of sift's fixed query split: train|test|all (learned rankers: test)",
      'all',
    )
    .option('--depth <n>', 'results retrieved per query', parsePositiveInt, 1000)
    .option('--k1 <x>', 'BM25 k1 (default 1.2)', parseNonNegativeNumber)
    .option('--b <x>', 'BM25 b (default 0.75)', parseNonNegativeNumber)
    .option('--title-weight <x>', 'BM25 weight of the title field (default 1)', parseNonNegativeNumber)
    .option('--fields <how>', 'BM25 field combination: best-fields (default) | most-fields | bm25f | flat')
    .option('--backend <backend>', `where retrieval runs: ${BACKENDS.join('|')}`, 'local')
    .option(
      '--url <url>',
      "with --backend weaviate: a Weaviate node's REST URL (gRPC at its port + 1, or ?grpc=PORT)",
    )
    .option('--json <file>', 'write {"metrics", "queries", "perQuery"} to this file')
    .option('--save-run <file>', 'with --collection: also write the run in TREC format')
    .option('--quiet', 'no progress bars', false)
    .addHelpText(
      'after',
      `
Examples:
  $ sift eval --collection ../shared/data/cranfield --mode bm25 --json cranfield.json
  $ sift eval --run bm25.run --qrels qrels/test.tsv
  $ sift eval --collection ../shared/data/cranfield --mode dense --backend weaviate --url http://127.0.0.1:20000
  $ sift eval --run bm25.run --run dense.run --qrels qrels/test.tsv   (paired randomisation test vs the first)`,
    )
    .action(async (opts: EvalOptions) => {
      if (opts.collection !== undefined) {
        if (opts.run.length > 0) throw argumentError('use either --collection or --run, not both');
        await evalCollection(opts);
      } else if (opts.run.length > 0) {
        if (opts.qrels === undefined) throw argumentError('--run needs --qrels <file>');
        await evalRuns(opts.run, opts.qrels, opts.json);
      } else {
        throw argumentError('give --collection <beir-folder>, or --run <file> with --qrels <file>');
      }
    });
}

async function evalCollection(opts: EvalOptions): Promise<void> {
  const mode = parseMode(opts.mode);
  const backend = parseBackend(opts.backend);
  if (backend === 'weaviate' && opts.url === undefined)
    throw argumentError('--backend weaviate needs --url <url>');
  if (backend === 'local' && opts.url !== undefined) throw argumentError('--url needs --backend weaviate');
  if (opts.rerankSummaries !== undefined && !opts.rerank)
    throw argumentError('--rerank-summaries needs --rerank <ranker>');
  const outcome = await evaluateCollection(opts.collection!, {
    mode,
    ...(backend === 'weaviate'
      ? {
          remote: {
            backend,
            url: opts.url!,
            layout: remoteLayout(opts),
          },
        }
      : {}),
    ...(opts.embedder ? { embedder: opts.embedder } : {}),
    indexesRoot: siftPaths().indexes,
    depth: opts.depth,
    quiet: opts.quiet,
    ...(opts.rerank ? { rerank: opts.rerank, rerankDepth: opts.rerankDepth } : {}),
    ...(opts.rerankSummaries !== undefined
      ? { rerankSummaries: summaryVariant(opts.summaryMethod, opts.rerankSummaries, opts.summaryModel) }
      : {}),
    ...(opts.maxQueries !== undefined ? { maxQueries: opts.maxQueries } : {}),
    split: parseSplit(opts.split),
    bm25: {
      ...(opts.k1 !== undefined ? { k1: opts.k1 } : {}),
      ...(opts.b !== undefined ? { b: opts.b } : {}),
      ...(opts.titleWeight !== undefined ? { fieldWeights: { title: opts.titleWeight, text: 1 } } : {}),
      ...(opts.fields !== undefined ? { combination: opts.fields as FieldCombination } : {}),
    },
  });
  const base = backend === 'weaviate' ? `${opts.mode} (weaviate)` : opts.mode;
  const name = opts.rerank ? `${base} → ${opts.rerank}@${opts.rerankDepth}` : base;
  const side = opts.split === 'all' ? '' : ` (${opts.split} split)`;
  console.log(`${outcome.collection.name}: ${outcome.result.queries} judged queries${side}, ${name}`);
  console.log(formatMetricsTable([{ name, result: outcome.result }]));
  const { rankSeconds, rankedItems, importSeconds, imported } = outcome.timings;
  if (importSeconds !== undefined) {
    console.log(`weaviate: ${imported} documents imported in ${importSeconds.toFixed(1)} s`);
  }
  const { summaries } = outcome.timings;
  if (summaries) {
    console.log(
      `summaries: the ranker read ${summaries.used} as summaries, ${summaries.fallback} as full text (no up-to-date summary; run sift compress summaries)`,
    );
  }
  if (rankSeconds !== undefined && rankedItems) {
    console.log(
      `ranker: ${rankedItems} items in ${rankSeconds.toFixed(1)} s (${(rankedItems / rankSeconds).toFixed(1)} items/s)`,
    );
  }
  if (opts.saveRun) await writeTrecRun(opts.saveRun, outcome.run, `sift-${opts.mode}`);
  if (opts.json) await writeJson(opts.json, outcome.result);
}

async function evalRuns(runFiles: string[], qrelsFile: string, jsonFile: string | undefined): Promise<void> {
  const qrels = await readQrels(qrelsFile);
  const rows = [];
  for (const file of runFiles) rows.push({ name: file, result: evaluateRun(await readTrecRun(file), qrels) });
  console.log(formatMetricsTable(rows));
  if (jsonFile) await writeJson(jsonFile, rows[0]!.result);
}

async function writeJson(file: string, result: EvalResult): Promise<void> {
  await writeFileAtomic(file, `${toJsonReport(result)}\n`);
  console.log(`wrote ${file}`);
}

function parseSplit(split: string): QuerySplit | 'all' {
  if (split === 'train' || split === 'test' || split === 'all') return split;
  throw new SiftError('E_BAD_ARGUMENT', `--split must be train, test or all, not "${split}"`, {
    field: 'split',
  });
}

function argumentError(detail: string): SiftError {
  return new SiftError('E_BAD_ARGUMENT', detail);
}

interface EvalOptions {
  run: string[];
  qrels?: string;
  collection?: string;
  mode: string;
  embedder?: string;
  depth: number;
  rerank?: string;
  rerankDepth: number;
  rerankSummaries?: number;
  summaryMethod: string;
  summaryModel?: string;
  maxQueries?: number;
  split: string;
  k1?: number;
  b?: number;
  titleWeight?: number;
  fields?: string;
  backend: string;
  url?: string;
  shards?: number;
  replication?: number;
  json?: string;
  saveRun?: string;
  quiet: boolean;
}

/** The stored summaries `--rerank-summaries` names: a method and budget, and for llm the model and prompt. */
function summaryVariant(method: string, budget: number, model: string | undefined): SummaryVariant {
  const parsed = parseSummaryMethod(method);
  return parsed === 'llm'
    ? { method: parsed, budget, model: model ?? DEFAULT_SUMMARY_MODEL, promptHash: llmSummaryPromptHash() }
    : { method: parsed, budget };
}
