// Index storage: the one public face of src/index.
export {
  type BuildIndexOptions,
  type BuildResult,
  buildIndex,
  countLines,
  type DocumentSource,
} from './build.js';
export { readContainer } from './container.js';
export { DocStore } from './doc-store.js';
export {
  type EmbedOptions,
  type EmbedResult,
  embedDocuments,
  embeddingText,
  vectorStoreFor,
} from './embed.js';
export { codeIndex } from './int8-codes.js';
export { InvertedIndex, type PostingList } from './inverted-index.js';
export {
  type CreateIndexOptions,
  INDEXED_FIELDS,
  type IndexComponent,
  type IndexInfo,
  LEXICAL_FORMAT,
  LEXICAL_FORMAT_VERSION,
  SiftIndex,
} from './sift-index.js';
export {
  documentHash,
  SUMMARY_FORMAT_VERSION,
  SummaryFile,
  type SummaryMethod,
  type SummaryVariant,
  summaryVariantKey,
} from './summaries.js';
export type { VectorBlock, VectorDtype } from './vector-block.js';
export { VectorStore, type VectorStoreOptions } from './vector-store.js';
