// Messages between the HTTP thread and the engine thread, which owns the index.

import type { Doc, MetadataValue } from '../ingest/index.js';
import type { FilterSpec } from '../retrieve/index.js';
import type { RetrievalMode } from '../search/index.js';
import type { WireError } from './wire-error.js';

export interface EngineWorkerData {
  indexDir: string;
  /** The embedder whose vectors dense search uses (its query vectors come with each request). */
  embedder: string | undefined;
  knnThreads: number;
  /** Most dense searches scanned together (1: each alone). */
  knnBatch: number;
  /**
   * Where retrieval runs: the engine's own index ('local'), or a Weaviate cluster that holds the index's
   * documents and vectors ({url}); the local index still serves documents, snippets and facets.
   */
  backend: 'local' | { weaviate: string };
}

export interface EngineSearch {
  op: 'search';
  query: string;
  /** The query's embedding, for dense and hybrid. */
  vector?: Float32Array;
  mode: RetrievalMode;
  /** Candidates to return, best first. */
  depth: number;
  filter?: FilterSpec;
  /** Candidates (from the top) that come with their full text, for a reranker. */
  withText: number;
  /** Candidates (from the top) that come with a highlighted snippet. */
  withSnippet: number;
}

export interface EngineHit {
  id: string;
  /** Ordinal in the engine's in-memory index: stable for the engine's life, new for a replaced doc. */
  ord: number;
  score: number;
  stages: Record<string, number>;
  title: string;
  metadata: Record<string, MetadataValue>;
  text?: string;
  snippet?: { text: string; highlights: Array<[number, number]> };
}

export interface EngineSearchResult {
  hits: EngineHit[];
  /** Time inside the engine thread, ms. */
  ms: number;
  /** Queries per kNN scan for each scan the engine started since its previous reply (for metrics). */
  knnScans?: number[];
}

export interface Facet {
  field: string;
  /** Distinct values of a text field (only when few enough to choose from). */
  values?: string[];
  /** Range of a numeric field. */
  min?: number;
  max?: number;
}

export interface EngineInfo {
  name: string;
  documents: number;
  generation: number;
  /** Modes this index can answer (dense and hybrid need the embedder's vectors). */
  modes: RetrievalMode[];
  facets: Facet[];
  /** Every metadata field some live document has: what a filter may name. */
  fields: string[];
  /** Where retrieval runs: 'local', or the Weaviate collection and the node it was reached at. */
  backend: { kind: 'local' } | { kind: 'weaviate'; url: string; collection: string };
}

export type EngineRequest =
  | EngineSearch
  | { op: 'snippets'; query: string; ords: number[] }
  | { op: 'upsert'; docs: Doc[]; vectors?: Float32Array }
  | { op: 'delete'; docId: string }
  | { op: 'info' };

export interface WriteResult {
  generation: number;
  documents: number;
}

export type EngineMessage = EngineRequest & { id: number };

export type EngineReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError }
  | { id: 0; type: 'ready'; info: EngineInfo }
  | { id: 0; type: 'failed'; error: WireError };
