// Stored embeddings for the candidates of a ranker that reads items as vectors (an embedding-token
// ranker): the index's vectors of the ranker's embedder, looked up by document id. The vectors are those
// the index computed when it embedded the documents, so ranking needs no encoder at query time.

import { SiftError } from '../errors.js';
import type { SiftIndex } from '../index/index.js';
import type { Ranker } from '../rank/index.js';

/**
 * `(id) => vector` for `ranker`'s candidates, or undefined when the ranker reads text. An index without
 * vectors of the ranker's embedder is an error that says how to make them.
 */
export function candidateVectors(
  index: SiftIndex,
  ranker: Ranker,
): ((id: string) => Float32Array | undefined) | undefined {
  const embedder = ranker.itemVectors;
  if (!embedder) return undefined;
  const store = index.vectors(embedder);
  if (!store)
    throw new SiftError(
      'E_RANKER_VECTORS',
      `${ranker.id} reads documents as ${embedder} vectors and index "${index.name}" has none: search it in dense or hybrid mode with --embedder ${embedder} once to embed it`,
      { field: 'rerank' },
    );
  return (id) => {
    const ord = index.docs.ordOf(id);
    return ord !== undefined && ord < store.rows ? store.vector(ord) : undefined;
  };
}
