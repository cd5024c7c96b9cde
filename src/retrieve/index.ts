// First-stage retrieval: the one public face of src/retrieve.
export {
  type Bm25Params,
  Bm25Retriever,
  DEFAULT_BM25_PARAMS,
  type FieldCombination,
  validateBm25Params,
} from './bm25.js';
export { CoalescingKnn, type CoalescingKnnOptions } from './coalescing-knn.js';
export {
  composeRetriever,
  RETRIEVAL_MODES,
  type RetrievalMode,
  type RetrieverParts,
} from './compose.js';
export { DenseRetriever, filterBitmap, queryVector, type VectorSearcher } from './dense.js';
export { ExactKnn, type ExactKnnOptions, type KnnSearchOptions } from './exact-knn.js';
export {
  checkFilterFields,
  compileFilter,
  type FilterCondition,
  type FilterScalar,
  type FilterSpec,
  type MetadataPredicate,
  metadataFields,
  parseFilterArgs,
} from './filters.js';
export { DEFAULT_RRF_K, type FusedHit, type FusionMethod, fuse, type RankedList } from './fusion.js';
export { type HybridOptions, HybridRetriever } from './hybrid.js';
export { type Hit, localOrdinal, type Retriever, type SearchRequest } from './retriever.js';
export { makeSnippet, type Snippet } from './snippet.js';
export { type ScoredOrdinal, TopKCollector } from './top-k.js';
