// Dense retrieval: the query is embedded by the same bi-encoder as the documents and the nearest
// document vectors are found by exact, exhaustive search (no approximate graph, so no lost recall).

import { SiftError } from '../errors.js';
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

  /** Without an encoder, every request must carry its query vector (the server's engine thread). */
  constructor(
    private readonly docs: DocStore,
    private readonly encoder: Encoder | undefined,
    private readonly searcher: VectorSearcher,
  ) {}

  async search({ query, k, filter, vector: given }: SearchRequest): Promise<Hit[]> {
    const vector = await queryVector(query, given, this.encoder);
    const matches = compileFilter(filter);
    const allowed = matches ? filterBitmap(this.docs, matches) : undefined;
    const [results = []] = await this.searcher.search(vector, 1, k, allowed ? { allowed } : {});
    return results.map(({ ord, score }) => ({ id: this.docs.idOf(ord), ord, score }));
  }
}

/** The request's own query vector, else the encoder's embedding of the query. */
export async function queryVector(
  query: string,
  given: Float32Array | undefined,
  encoder: Encoder | undefined,
): Promise<Float32Array> {
  if (given) {
    if (encoder && given.length !== encoder.dimension) {
      throw new SiftError(
        'E_VECTOR_DIMENSION',
        `the query vector has ${given.length} values; ${encoder.id} makes ${encoder.dimension}`,
        { field: 'vector' },
      );
    }
    return given;
  }
  if (!encoder) {
    throw new SiftError('E_MODE_UNAVAILABLE', 'dense retrieval here needs the query vector in the request', {
      field: 'vector',
    });
  }
  return encoder.encode([query], 'query');
}

/** One byte per ordinal: 1 where the document is live and passes the filter. */
export function filterBitmap(docs: DocStore, matches: MetadataPredicate): Uint8Array {
  const allowed = new Uint8Array(docs.size);
  for (let ord = 0; ord < docs.size; ord++) {
    if (docs.isLive(ord) && matches(docs.metadata(ord))) allowed[ord] = 1;
  }
  return allowed;
}
