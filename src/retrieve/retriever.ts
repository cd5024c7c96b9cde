// The contract every first-stage retriever (bm25, dense, hybrid) fulfils.

import type { FilterSpec } from './filters.js';

export interface SearchRequest {
  query: string;
  /** How many hits to return (the top k by score). */
  k: number;
  /** Metadata conditions applied during the scan. */
  filter?: FilterSpec;
}

export interface Hit {
  id: string;
  /** The document's ordinal in the index it came from. */
  ord: number;
  score: number;
}

export interface Retriever {
  readonly name: string;
  search(request: SearchRequest): Promise<Hit[]>;
}
