// sift's library entry: re-exports only, one stage after another.
export * from './analysis/index.js';
export * from './demo/index.js';
export { type ErrorCode, type ErrorContext, errorCatalogue, isSiftError, SiftError } from './errors.js';
export * from './eval/index.js';
export * from './index/index.js';
export * from './ingest/index.js';
export * from './judge/index.js';
export * from './models/index.js';
export * from './rank/index.js';
export * from './retrieve/index.js';
export * from './search/index.js';
export * from './serve/index.js';
