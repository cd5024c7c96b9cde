// sift's retriever contract over a Weaviate collection. sift keeps the query side: its analyzer turns
// the query into terms, its encoder into a vector, and it combines per-field BM25 scores as its local
// BM25 does; Weaviate holds the documents, vectors, shards and replicas, and scores them.

import type { Analyzer } from '../analysis/index.js';
import type { Encoder } from '../models/index.js';
import {
  type Bm25Params,
  type Hit,
  queryVector,
  type Retriever,
  type SearchRequest,
} from '../retrieve/index.js';
import type { WeaviateCollection } from './weaviate-collection.js';
import { TERM_PROPERTY } from './weaviate-schema.js';

export type RemoteBm25Params = Pick<Bm25Params, 'combination' | 'tieBreaker' | 'fieldWeights'>;

/**
 * BM25 in Weaviate over sift's analysed terms. With 'best-fields' or 'most-fields' each field is queried
 * on its own (its own statistics, as in Lucene and sift) and the scores are combined here, over each
 * field's top max(k, 100); with 'bm25f' Weaviate's own multi-property BM25F scores both fields at once.
 * Weaviate keeps BM25 statistics per shard, so with several shards idf and average lengths are those
 * of the shard a document lives in, not of the corpus.
 */
export class WeaviateBm25Retriever implements Retriever {
  readonly name = 'bm25';

  constructor(
    private readonly collection: WeaviateCollection,
    private readonly analyzer: Analyzer,
    private readonly params: RemoteBm25Params,
  ) {}

  async search({ query, k, filter }: SearchRequest): Promise<Hit[]> {
    const terms = this.analyzer.analyze(query);
    if (terms.length === 0 || k <= 0) return [];
    const { combination, tieBreaker, fieldWeights } = this.params;
    if (combination === 'bm25f') {
      const boosted = (['title', 'text'] as const).map(
        (field) => `${TERM_PROPERTY[field]}^${fieldWeights[field]}`,
      );
      return this.collection.bm25(terms, boosted, k, filter);
    }
    const depth = Math.max(k, 100);
    const [title, text] = await Promise.all(
      (['title', 'text'] as const).map((field) =>
        fieldWeights[field] === 0
          ? Promise.resolve([] as Hit[])
          : this.collection.bm25(terms, [TERM_PROPERTY[field]], depth, filter),
      ),
    );
    const scores = new Map<string, [number, number]>();
    for (const hit of title!) scores.set(hit.id, [fieldWeights.title * hit.score, 0]);
    for (const hit of text!) {
      const entry = scores.get(hit.id) ?? [0, 0];
      entry[1] = fieldWeights.text * hit.score;
      scores.set(hit.id, entry);
    }
    const hits: Hit[] = [];
    for (const [id, [a, b]] of scores) {
      const best = Math.max(a, b);
      const score = combination === 'most-fields' ? a + b : best + tieBreaker * (a + b - best);
      hits.push({ id, score });
    }
    hits.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    return hits.slice(0, k);
  }
}

/**
 * Exact kNN in Weaviate's flat index, the query embedded by sift's own encoder (without one, every request
 * must carry its query vector: the server's engine thread).
 */
export class WeaviateDenseRetriever implements Retriever {
  readonly name = 'dense';

  constructor(
    private readonly collection: WeaviateCollection,
    private readonly encoder: Encoder | undefined,
  ) {}

  async search({ query, k, filter, vector: given }: SearchRequest): Promise<Hit[]> {
    const vector = await queryVector(query, given, this.encoder);
    return this.collection.nearVector(vector, k, filter);
  }
}
