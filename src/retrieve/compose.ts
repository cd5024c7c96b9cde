// The one place a retrieval mode becomes a retriever: bm25 alone, dense alone, or both fused (hybrid).
// The CLI and evaluation (search/open-retriever.ts), remote backends (search/open-remote-retriever.ts) and
// the server's engine thread all compose through here, so a mode means the same stages everywhere.

import { SiftError } from '../errors.js';
import { type HybridOptions, HybridRetriever } from './hybrid.js';
import type { Retriever } from './retriever.js';

export const RETRIEVAL_MODES = ['bm25', 'dense', 'hybrid'] as const;
export type RetrievalMode = (typeof RETRIEVAL_MODES)[number];

export interface RetrieverParts {
  lexical: Retriever;
  /** Absent where no embedder is served: dense and hybrid are then unavailable. */
  dense?: Retriever;
  hybrid?: HybridOptions;
}

export function composeRetriever(mode: RetrievalMode, parts: RetrieverParts): Retriever {
  if (mode === 'bm25') return parts.lexical;
  if (!parts.dense) {
    throw new SiftError(
      'E_MODE_UNAVAILABLE',
      `mode "${mode}" needs an embedder; this index is served with bm25 only`,
      {
        field: 'mode',
      },
    );
  }
  return mode === 'dense'
    ? parts.dense
    : new HybridRetriever([parts.lexical, parts.dense], parts.hybrid ?? {});
}
