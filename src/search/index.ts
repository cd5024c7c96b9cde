// Composes retrieval stages over an index: the one public face of src/search.

export {
  type CollectionEvalOptions,
  type CollectionEvalOutcome,
  evaluateCollection,
  openCollection,
  runJudgedQueries,
} from './collection-eval.js';
export {
  BACKENDS,
  type Backend,
  importIndex,
  indexDocSource,
  type OpenedRemoteRetriever,
  openRemoteParts,
  openRemoteRetriever,
  parseBackend,
  type RemoteRetrieverOptions,
  toRemoteDoc,
} from './open-remote-retriever.js';
export {
  type OpenedRetriever,
  type OpenRetrieverOptions,
  openRetriever,
  parseMode,
  RETRIEVAL_MODES,
  type RetrievalMode,
} from './open-retriever.js';
export {
  type RankedHit,
  type RankedSearchRequest,
  type RankedSearchResult,
  rankedSearch,
} from './ranked-search.js';
