// Builds the first-stage retriever a mode names over an index: bm25, dense (embedding the documents
// first if the index has no vectors for the model yet) or hybrid (both, fused).

import { SiftError } from '../errors.js';
import type { SiftIndex } from '../index/index.js';
import { embedDocuments } from '../index/index.js';
import type { Encoder } from '../models/index.js';
import { DEFAULT_EMBEDDER, openEmbedder } from '../models/index.js';
import type { FusionMethod, RetrievalMode, Retriever } from '../retrieve/index.js';
import {
  type Bm25Params,
  Bm25Retriever,
  composeRetriever,
  DenseRetriever,
  ExactKnn,
  RETRIEVAL_MODES,
} from '../retrieve/index.js';

export { RETRIEVAL_MODES, type RetrievalMode };

export interface OpenRetrieverOptions {
  mode: RetrievalMode;
  /** Embedder id for dense and hybrid (":int8" for the quantised graph). Default all-minilm-l6-v2. */
  embedder?: string;
  bm25?: Partial<Bm25Params>;
  fusion?: FusionMethod;
  quiet?: boolean;
}

export interface OpenedRetriever {
  retriever: Retriever;
  /** The encoder in use (dense and hybrid), to be released with the retriever. */
  encoder?: Encoder;
  /** Seconds spent embedding documents that had no vector yet. */
  embedSeconds: number;
  release(): Promise<void>;
}

export function parseMode(mode: string): RetrievalMode {
  if ((RETRIEVAL_MODES as readonly string[]).includes(mode)) return mode as RetrievalMode;
  throw new SiftError('E_BAD_ARGUMENT', `unknown mode "${mode}" (available: ${RETRIEVAL_MODES.join(', ')})`, {
    field: 'mode',
  });
}

export async function openRetriever(
  index: SiftIndex,
  options: OpenRetrieverOptions,
): Promise<OpenedRetriever> {
  const bm25 = new Bm25Retriever(index, options.bm25);
  if (options.mode === 'bm25') return { retriever: bm25, embedSeconds: 0, release: async () => {} };

  const encoder = await openEmbedder(options.embedder ?? DEFAULT_EMBEDDER, { quiet: options.quiet ?? false });
  const embedded = await embedDocuments(index, encoder, { quiet: options.quiet ?? false });
  const dense = new DenseRetriever(index.docs, encoder, new ExactKnn(embedded.store));
  const retriever = composeRetriever(options.mode, {
    lexical: bm25,
    dense,
    ...(options.fusion ? { hybrid: { fusion: options.fusion } } : {}),
  });
  return { retriever, encoder, embedSeconds: embedded.seconds, release: () => encoder.release() };
}
