// Dense retrieval: the query is embedded by the same bi-encoder as the documents and the nearest
// document vectors are found by exact, exhaustive search (no approximate graph, so no lost recall).

import type { DocStore } from '../index/index.js';
import type { Encoder } from '../models/index.js';
import { compileFilter, type MetadataPredicate } from './filters.js';
import type { Hit, Retriever, SearchRequest } from './retriever.js';
import type { ScoredOrdinal } from './top-k.js';

/** What dense retrieval needs of a kNN engine: the k best rows by dot product per query row. */
export interface VectorSearcher {
  search(
    queries: Float32Array,
    numQueries: number,
    k: number,
    options?: { allowed?: Uint8Array },
  ): Promise<ScoredOrdinal[][]>;
}

export class DenseRetriever implements Retriever {
  readonly name = 'dense';

  constructor(
    private readonly docs: DocStore,
    private readonly encoder: Encoder,
    private readonly searcher: VectorSearcher,
  ) {}

  async search({ query, k, filter }: SearchRequest): Promise<Hit[]> {
    const vector = await this.encoder.encode([query], 'query');
    const matches = compileFilter(filter);
    const allowed = matches ? filterBitmap(this.docs, matches) : undefined;
    const [results = []] = await this.searcher.search(vector, 1, k, allowed ? { allowed } : {});
    return results.map(({ ord, score }) => ({ id: this.docs.idOf(ord), ord, score }));
  }
}

/** One byte per ordinal: 1 where the document is live and passes the filter. */
export function filterBitmap(docs: DocStore, matches: MetadataPredicate): Uint8Array {
  const allowed = new Uint8Array(docs.size);
  for (let ord = 0; ord < docs.size; ord++) {
    if (docs.isLive(ord) && matches(docs.metadata(ord))) allowed[ord] = 1;
  }
  return allowed;
}
