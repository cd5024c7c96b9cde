// The contract every first-stage retriever (bm25, dense, hybrid) fulfils.

import { SiftError } from '../errors.js';
import type { FilterSpec } from './filters.js';

export interface SearchRequest {
  query: string;
  /** How many hits to return (the top k by score). */
  k: number;
  /** Metadata conditions applied during the scan. */
  filter?: FilterSpec;
  /**
   * The query's embedding when the caller already has it (the server embeds queries in its own worker,
   * batched across requests): dense retrievers use it instead of encoding `query`. Lexical ones ignore it.
   */
  vector?: Float32Array;
}

export interface Hit {
  id: string;
  /**
   * The document's ordinal in the local index it came from; absent for hits from a remote backend,
   * which knows documents only by id.
   */
  ord?: number;
  score: number;
}

export interface Retriever {
  readonly name: string;
  search(request: SearchRequest): Promise<Hit[]>;
}

/** The local ordinal of a hit from a local retriever; a remote hit reaching local-only code is a bug. */
export function localOrdinal(hit: Hit): number {
  if (hit.ord === undefined) {
    throw new SiftError('E_INTERNAL', `hit "${hit.id}" has no local ordinal (it came from a remote backend)`);
  }
  return hit.ord;
}
