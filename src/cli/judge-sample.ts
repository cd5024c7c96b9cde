// `sift judge sample`: chooses queries and (query, document) pairs to label and adds them to a store.

import { resolve } from 'node:path';
import type { Query } from '../ingest/index.js';
import { inSplit, type QuerySplit, readBeirQueries, readLines } from '../ingest/index.js';
import { chooseQueries, LabelStore, samplePairs } from '../judge/index.js';
import { DEFAULT_EMBEDDER } from '../models/index.js';
import type { Retriever } from '../retrieve/index.js';
import { openCollection, openRetriever } from '../search/index.js';
import { siftPaths } from '../util/index.js';
import { badArgument } from './judge-shared.js';

export interface SampleCommandOptions {
  collection: string;
  queries: number;
  perQuery: number;
  store: string;
  queryLog?: string;
  dense: string;
  strata: string;
  randomShare: number;
  judgedShare: number;
  split: string;
  seed: number;
  quiet: boolean;
}

export async function sampleAction(opts: SampleCommandOptions): Promise<void> {
  const strata = parseStrata(opts.strata);
  if (opts.randomShare > 1) throw badArgument('--random-share must be in [0, 1]', 'random-share');
  if (opts.judgedShare > 1) throw badArgument('--judged-share must be in [0, 1]', 'judged-share');
  if (!['auto', 'on', 'off'].includes(opts.dense)) throw badArgument('--dense is auto, on or off', 'dense');
  const folder = resolve(opts.collection);
  const { collection, index } = await openCollection(folder, siftPaths().indexes, opts.quiet);
  if (!['train', 'test', 'all'].includes(opts.split))
    throw badArgument('--split is train, test or all', 'split');
  const split = opts.split as QuerySplit | 'all';
  const pool = inSplit(
    opts.queryLog ? await readQueryLog(opts.queryLog) : collection.queries,
    split,
    (query) => query.id,
  );
  const queries = chooseQueries(pool, opts.queries, new Set(collection.qrels.keys()), opts.seed);

  const retrievers: Retriever[] = [];
  const releases: Array<() => Promise<void>> = [];
  const vectors = index.vectors(DEFAULT_EMBEDDER);
  const withDense =
    opts.dense === 'on' ||
    (opts.dense === 'auto' && vectors !== undefined && vectors.rows === index.docs.size);
  const bm25 = await openRetriever(index, { mode: 'bm25' });
  retrievers.push(bm25.retriever);
  if (withDense) {
    const dense = await openRetriever(index, { mode: 'dense', quiet: opts.quiet });
    retrievers.push(dense.retriever);
    releases.push(dense.release);
  }
  let sampled: Awaited<ReturnType<typeof samplePairs>>;
  try {
    sampled = await samplePairs(index, retrievers, queries, {
      perQuery: opts.perQuery,
      strata,
      randomShare: opts.randomShare,
      seed: opts.seed,
      ...(opts.judgedShare > 0 ? { judged: { qrels: collection.qrels, share: opts.judgedShare } } : {}),
      quiet: opts.quiet,
    });
  } finally {
    for (const release of releases) await release();
  }

  const store = LabelStore.open(opts.store, { create: true });
  try {
    const sampledQueries = queries.filter((q) => sampled.pairs.some((p) => p.queryId === q.id));
    const added = store.addPairs(
      sampledQueries.map((q) => ({ id: q.id, text: q.text })),
      sampled.documents,
      sampled.pairs,
    );
    store.setMeta('collection', folder);
    store.setMeta('collection_name', collection.name);
    const history = JSON.parse(store.getMeta('samples') ?? '[]') as unknown[];
    history.push({
      at: new Date().toISOString(),
      queries: opts.queries,
      perQuery: opts.perQuery,
      strata,
      randomShare: opts.randomShare,
      judgedShare: opts.judgedShare,
      split,
      seed: opts.seed,
      retrievers: retrievers.map((r) => r.name),
      ...(opts.queryLog ? { queryLog: resolve(opts.queryLog) } : {}),
    });
    store.setMeta('samples', JSON.stringify(history));
    const counts = store.counts();
    console.log(
      `${collection.name}: sampled ${sampled.pairs.length} pairs over ${queries.length} queries ` +
        `(${retrievers.map((r) => r.name).join(' + ')} by rank stratum ${strata.join('/')}, plus random negatives); ` +
        `${added} new, ${sampled.pairs.length - added} already in the store`,
    );
    console.log(
      `${opts.store}: ${counts.pairs} pairs, ${counts.queries} queries, ${counts.documents} documents`,
    );
  } finally {
    store.close();
  }
}

function parseStrata(text: string): number[] {
  const strata = text.split(',').map((part) => Number(part.trim()));
  if (
    strata.length === 0 ||
    strata.some((n, i) => !Number.isInteger(n) || n < 1 || (i > 0 && n <= strata[i - 1]!))
  ) {
    throw badArgument(`--strata takes increasing ranks such as 10,30,100, not "${text}"`, 'strata');
  }
  return strata;
}

/** A query log: BEIR-style JSONL, or plain text with one query a line (ids `log-<line>`). */
async function readQueryLog(file: string): Promise<Query[]> {
  if (file.endsWith('.jsonl')) return readBeirQueries(file);
  const queries: Query[] = [];
  for await (const { text, line } of readLines(file)) {
    if (text.trim() !== '') queries.push({ id: `log-${line}`, text: text.trim() });
  }
  return queries;
}

// ---- run --------------------------------------------------------------------------------------------
