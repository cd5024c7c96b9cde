// Builds the retriever a mode names over a remote backend (Weaviate): sift analyses and embeds the
// documents (its own analyzer and models, vectors cached in the local index), imports them into the
// backend's collection (resumable, idempotent), and composes the backend's BM25 and dense retrievers as
// it composes its local ones; hybrid fuses them here, in sift.

import type { Analyzer } from '../analysis/index.js';
import { SiftError } from '../errors.js';
import type { SiftIndex, VectorStore } from '../index/index.js';
import { embedDocuments } from '../index/index.js';
import type { Doc } from '../ingest/index.js';
import type { Encoder } from '../models/index.js';
import { DEFAULT_EMBEDDER, openEmbedder } from '../models/index.js';
import {
  type ImportOutcome,
  type RemoteDoc,
  type RemoteDocSource,
  type RemoteLayout,
  WeaviateBm25Retriever,
  WeaviateCollection,
  type WeaviateConnection,
  WeaviateDenseRetriever,
} from '../remote/index.js';
import { composeRetriever, DEFAULT_BM25_PARAMS, type RetrieverParts } from '../retrieve/index.js';
import type { OpenedRetriever, OpenRetrieverOptions } from './open-retriever.js';

export const BACKENDS = ['local', 'weaviate'] as const;
export type Backend = (typeof BACKENDS)[number];

export function parseBackend(backend: string): Backend {
  if ((BACKENDS as readonly string[]).includes(backend)) return backend as Backend;
  throw new SiftError('E_BAD_ARGUMENT', `unknown backend "${backend}" (available: ${BACKENDS.join(', ')})`, {
    field: 'backend',
  });
}

export interface RemoteRetrieverOptions extends OpenRetrieverOptions {
  /** Shards and replication of a collection created now (default: see `defaultLayout`). */
  layout?: Partial<RemoteLayout>;
  /** Weaviate collection name (default `Sift_<index name>__<embedder>`). */
  collection?: string;
}

export interface OpenedRemoteRetriever extends OpenedRetriever {
  collection: WeaviateCollection;
  imported: ImportOutcome;
}

/** One document with sift's terms and vector, as a remote backend takes it. */
export function toRemoteDoc(analyzer: Analyzer, doc: Doc, vector: Float32Array): RemoteDoc {
  return {
    ...doc,
    titleTerms: analyzer.analyze(doc.title),
    textTerms: analyzer.analyze(doc.text),
    vector,
  };
}

/** The local index's live documents with sift's terms and vectors, as a remote backend takes them. */
export function indexDocSource(index: SiftIndex, vector: (ord: number) => Float32Array): RemoteDocSource {
  const { docs, analyzer } = index;
  return {
    corpus: index.name,
    count: docs.liveCount,
    *docs(): Iterable<RemoteDoc> {
      for (let ord = 0; ord < docs.size; ord++) {
        if (docs.isLive(ord)) yield toRemoteDoc(analyzer, docs.get(ord), vector(ord));
      }
    },
  };
}

/**
 * Embeds what `index` lacks, then imports into Weaviate what its collection lacks (creating the collection,
 * or refusing one for another model before anything is written). What `sift index --backend weaviate` runs.
 */
export async function importIndex(
  connection: WeaviateConnection,
  index: SiftIndex,
  encoder: Encoder,
  options: RemoteImportOptions,
): Promise<{ collection: WeaviateCollection; imported: ImportOutcome; embedSeconds: number }> {
  const embedded = await embedDocuments(index, encoder, { quiet: options.quiet ?? false });
  const { collection, imported } = await importEmbedded(connection, index, embedded.store, options);
  return { collection, imported, embedSeconds: embedded.seconds };
}

type RemoteImportOptions = Pick<RemoteRetrieverOptions, 'layout' | 'collection' | 'quiet'> & {
  bm25?: { k1: number; b: number };
};

/** Imports into Weaviate what its collection lacks of an index whose vectors are all in `store`. */
async function importEmbedded(
  connection: WeaviateConnection,
  index: SiftIndex,
  store: VectorStore,
  options: RemoteImportOptions,
): Promise<{ collection: WeaviateCollection; imported: ImportOutcome }> {
  const source = indexDocSource(index, (ord) => store.vector(ord));
  const collection = await WeaviateCollection.ensure(connection, source, {
    embedder: store.modelId,
    dimension: store.dimension,
    analyzer: index.analyzer.config,
    bm25: { k1: options.bm25?.k1 ?? DEFAULT_BM25_PARAMS.k1, b: options.bm25?.b ?? DEFAULT_BM25_PARAMS.b },
    ...(options.layout ? { layout: options.layout } : {}),
    ...(options.collection ? { name: options.collection } : {}),
  });
  const imported = await collection.importFrom(source, { quiet: options.quiet ?? false });
  return { collection, imported };
}

/**
 * The server's engine thread over Weaviate: imports what the collection lacks of an index that already
 * has every vector of `embedderId` (the server embeds at start), and returns the backend's BM25 and dense
 * retrievers to compose per request. Dense search takes its query vector from the request.
 */
export async function openRemoteParts(
  connection: WeaviateConnection,
  index: SiftIndex,
  embedderId: string,
  options: Pick<RemoteRetrieverOptions, 'layout' | 'collection' | 'quiet'> = {},
): Promise<{ collection: WeaviateCollection; imported: ImportOutcome; parts: RetrieverParts }> {
  const store = index.vectors(embedderId);
  if (!store || store.rows < index.docs.size) {
    throw new SiftError(
      'E_MODE_UNAVAILABLE',
      `index ${index.name} has ${store?.rows ?? 0} of ${index.docs.size} vectors for ${embedderId}; embed it before importing into Weaviate`,
    );
  }
  const { collection, imported } = await importEmbedded(connection, index, store, options);
  const parts = {
    lexical: new WeaviateBm25Retriever(collection, index.analyzer, DEFAULT_BM25_PARAMS),
    dense: new WeaviateDenseRetriever(collection, undefined),
  };
  return { collection, imported, parts };
}

/**
 * Imports `index` into Weaviate (what is missing of it) and opens the mode's retriever there. Every mode
 * needs the embedder: one collection holds both the terms and the vectors of a corpus.
 */
export async function openRemoteRetriever(
  connection: WeaviateConnection,
  index: SiftIndex,
  options: RemoteRetrieverOptions,
): Promise<OpenedRemoteRetriever> {
  const quiet = options.quiet ?? false;
  const encoder = await openEmbedder(options.embedder ?? DEFAULT_EMBEDDER, { quiet });
  try {
    const bm25 = {
      ...DEFAULT_BM25_PARAMS,
      ...options.bm25,
      fieldWeights: { ...DEFAULT_BM25_PARAMS.fieldWeights, ...options.bm25?.fieldWeights },
    };
    const { collection, imported, embedSeconds } = await importIndex(connection, index, encoder, {
      ...options,
      bm25,
    });
    const lexical = new WeaviateBm25Retriever(collection, index.analyzer, bm25);
    const dense = new WeaviateDenseRetriever(collection, encoder);
    const retriever = composeRetriever(options.mode, {
      lexical,
      dense,
      ...(options.fusion ? { hybrid: { fusion: options.fusion } } : {}),
    });
    return {
      retriever,
      encoder,
      collection,
      imported,
      embedSeconds,
      release: () => encoder.release(),
    };
  } catch (error) {
    await encoder.release();
    throw error;
  }
}
