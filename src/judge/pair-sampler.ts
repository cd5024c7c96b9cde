// Chooses (query, document) pairs to label: for each query, candidates from BM25 (and dense retrieval
// when the index has vectors) sampled by rank-depth stratum, plus random negatives from the corpus,
// de-duplicated. Sampling the depths, not only the top, shows the judge easy negatives, near misses and
// hits alike, which is what rankers trained on its labels need (../shared/SYSTEM.md §2: hard negatives).

import { createHash } from 'node:crypto';
import type { SiftIndex } from '../index/index.js';
import type { Query } from '../ingest/index.js';
import type { Retriever } from '../retrieve/index.js';
import { mulberry32, ProgressBar } from '../util/index.js';
import type { NewPair, StoredDocument } from './label-store.js';

export interface SampleOptions {
  /** Candidates per query. ≥ 1. */
  perQuery: number;
  /** Upper rank bound of each stratum, best first. Default [10, 30, 100]: ranks 1–10, 11–30, 31–100. */
  strata?: number[];
  /** Share of each query's pairs drawn uniformly from the corpus as negatives. Default 0.2; in [0, 1]. */
  randomShare?: number;
  seed?: number;
  /**
   * For audits: human qrels (query → doc → grade) and the share of each query's pairs to draw from the
   * documents they judge (stratum "judged"). Default share 0: sampling never looks at the qrels, so
   * labels from an unbiased sample are not skewed toward what assessors happened to see.
   */
  judged?: { qrels: ReadonlyMap<string, ReadonlyMap<string, number>>; share: number };
  quiet?: boolean;
}

export interface SampledPairs {
  pairs: NewPair[];
  documents: StoredDocument[];
}

export const DEFAULT_STRATA = [10, 30, 100];
export const DEFAULT_SEED = 42;

/**
 * Samples `perQuery` pairs for each query. Each document's stratum is its best rank over the retrievers;
 * per query the ranked share is split evenly over the strata (the remainder to the top ones), a stratum
 * short of documents passes its share down, and what no stratum can fill becomes random negatives.
 */
export async function samplePairs(
  index: SiftIndex,
  retrievers: Retriever[],
  queries: Query[],
  options: SampleOptions,
): Promise<SampledPairs> {
  const strata = options.strata ?? DEFAULT_STRATA;
  const depth = strata.at(-1)!;
  const randomShare = options.randomShare ?? 0.2;
  const progress = new ProgressBar({
    label: 'sampling pairs',
    total: queries.length,
    unit: 'queries',
    quiet: options.quiet ?? false,
  });
  const pairs: NewPair[] = [];
  const documents = new Map<string, StoredDocument>();
  const live = index.docs.liveOrdinals();

  for (const query of queries) {
    // A per-query stream, so adding queries to a sample never changes the pairs of the others.
    const random = mulberry32((options.seed ?? DEFAULT_SEED) ^ hash32(query.id));
    const best = new Map<string, { rank: number; source: string }>();
    for (const retriever of retrievers) {
      const hits = await retriever.search({ query: query.text, k: depth });
      hits.forEach((hit, i) => {
        const seen = best.get(hit.id);
        if (seen === undefined || i + 1 < seen.rank)
          best.set(hit.id, { rank: i + 1, source: retriever.name });
      });
    }
    const bands: Array<Array<{ docId: string; rank: number; source: string }>> = strata.map(() => []);
    for (const [docId, { rank, source }] of best) {
      const band = strata.findIndex((upper) => rank <= upper);
      if (band >= 0) bands[band]!.push({ docId, rank, source });
    }

    const chosen = new Set<string>();
    const judgedDocs = [...(options.judged?.qrels.get(query.id)?.keys() ?? [])].filter((id) =>
      index.docs.has(id),
    );
    const judgedCount = Math.min(
      judgedDocs.length,
      Math.round(options.perQuery * (options.judged?.share ?? 0)),
    );
    for (const docId of sampleWithoutReplacement(judgedDocs, judgedCount, random)) {
      chosen.add(docId);
      const seen = best.get(docId);
      pairs.push({
        queryId: query.id,
        docId,
        source: seen ? seen.source : 'qrels',
        rank: seen ? seen.rank : null,
        stratum: 'judged',
      });
    }
    const perQuery = options.perQuery - judgedCount;

    const negatives =
      perQuery >= 2 ? Math.max(randomShare > 0 ? 1 : 0, Math.round(perQuery * randomShare)) : 0;
    const shares = splitEvenly(perQuery - negatives, strata.length);
    let carry = 0;
    bands.forEach((band, b) => {
      const open = band.filter((candidate) => !chosen.has(candidate.docId)).sort((x, y) => x.rank - y.rank);
      const take = Math.min(open.length, shares[b]! + carry);
      carry = shares[b]! + carry - take;
      for (const pick of sampleWithoutReplacement(open, take, random)) {
        chosen.add(pick.docId);
        pairs.push({
          queryId: query.id,
          docId: pick.docId,
          source: pick.source,
          rank: pick.rank,
          stratum: stratumName(strata, b),
        });
      }
    });

    // Random negatives: uniform over live documents outside every candidate list.
    const wanted = negatives + carry;
    for (let tries = 0, got = 0; got < wanted && tries < wanted * 50 && live.length > 0; tries++) {
      const ord = live[Math.floor(random() * live.length)]!;
      const docId = index.docs.idOf(ord);
      if (best.has(docId) || chosen.has(docId)) continue;
      chosen.add(docId);
      pairs.push({ queryId: query.id, docId, source: 'random', rank: null, stratum: 'random' });
      got++;
    }
    for (const docId of chosen) {
      if (documents.has(docId)) continue;
      const doc = index.docs.getById(docId)!;
      documents.set(docId, { id: doc.id, title: doc.title, text: doc.text });
    }
    progress.tick();
  }
  progress.finish(`${pairs.length} pairs`);
  return { pairs, documents: [...documents.values()] };
}

/** Picks `queries` of them by a seeded shuffle, preferring judged ones (`preferred`) so audits overlap. */
export function chooseQueries(
  all: Query[],
  count: number,
  preferred: ReadonlySet<string>,
  seed: number = DEFAULT_SEED,
): Query[] {
  const random = mulberry32(seed);
  const shuffled = shuffle([...all.filter((q) => preferred.has(q.id))], random);
  const rest = shuffle([...all.filter((q) => !preferred.has(q.id))], random);
  return [...shuffled, ...rest].slice(0, count);
}

function stratumName(strata: number[], band: number): string {
  return `${band === 0 ? 1 : strata[band - 1]! + 1}-${strata[band]}`;
}

function splitEvenly(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}

function sampleWithoutReplacement<T>(items: T[], count: number, random: () => number): T[] {
  return shuffle([...items], random).slice(0, count);
}

/** Fisher–Yates, in place. */
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function hash32(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0);
}
