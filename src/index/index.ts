// Index storage: the one public face of src/index.
export {
  type BuildIndexOptions,
  type BuildResult,
  buildIndex,
  type DocumentSource,
  sha256File,
} from './build.js';
export { DocStore } from './doc-store.js';
export { InvertedIndex, type PostingList } from './inverted-index.js';
export { type CreateIndexOptions, INDEXED_FIELDS, type IndexInfo, SiftIndex } from './sift-index.js';
