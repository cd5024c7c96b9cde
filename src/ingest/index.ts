// The ingest module's public face: BEIR and user-document readers producing one Doc shape.

export { createReadStats, MAX_SKIPPED_EXAMPLES } from './bad-records.js';
export {
  type BeirCollection,
  type BeirCollectionOptions,
  loadBeirCollection,
  readBeirCorpus,
  readBeirQrels,
  readBeirQueries,
} from './beir.js';
export { type JsonLine, readJsonLines } from './jsonl.js';
export { inSplit, type QuerySplit, querySplit } from './query-split.js';
export { readLines, type TextLine } from './text-file.js';
export type { Doc, MetadataValue, OnBadRecord, Qrels, Query, ReadOptions, ReadStats } from './types.js';
export {
  type DocumentFormat,
  type DocumentReadOptions,
  documentFormatOf,
  readCsvDocuments,
  readDocuments,
  readJsonlDocuments,
} from './user-docs.js';
