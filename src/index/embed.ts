// Embeds an index's documents with a bi-encoder into a vector store beside it: resumable (an
// interrupted job continues at the first document without a vector), checkpointed by commits.

import { SiftError } from '../errors.js';
import type { Encoder } from '../models/index.js';
import { ProgressBar } from '../util/index.js';
import type { SiftIndex } from './sift-index.js';
import { VectorStore } from './vector-store.js';

export interface EmbedOptions {
  /** Documents handed to the encoder at a time (it sorts each batch by length). Default 256. */
  batchSize?: number;
  /** Commit at least this often, so an interrupted job loses at most this much work. Default 30 s. */
  checkpointSeconds?: number;
  quiet?: boolean;
}

export interface EmbedResult {
  store: VectorStore;
  /** Documents embedded by this call (0 when every document already had its vector). */
  embedded: number;
  seconds: number;
}

/** The text a bi-encoder sees for a document: its title and body, as BEIR's dense baselines embed them. */
export function embeddingText(doc: { title: string; text: string }): string {
  return doc.title ? `${doc.title} ${doc.text}` : doc.text;
}

/**
 * The index's vector store for this encoder, attached empty when there is none yet; one for another
 * dimension is refused (E_VECTOR_DIMENSION).
 */
export function vectorStoreFor(
  index: SiftIndex,
  encoder: Pick<Encoder, 'id' | 'dimension' | 'normalized'>,
): VectorStore {
  const store = index.vectors(encoder.id);
  if (store && store.dimension !== encoder.dimension) {
    throw new SiftError(
      'E_VECTOR_DIMENSION',
      `index has ${store.dimension}-dimensional vectors for ${encoder.id}, the model makes ${encoder.dimension}`,
      { expected: encoder.dimension, actual: store.dimension },
    );
  }
  if (store) return store;
  // Rows are normalised on add when the model does not, so a dot product is always a cosine.
  const created = VectorStore.create(encoder.dimension, {
    modelId: encoder.id,
    normalize: !encoder.normalized,
  });
  index.attach(created);
  return created;
}

export async function embedDocuments(
  index: SiftIndex,
  encoder: Encoder,
  options: EmbedOptions = {},
): Promise<EmbedResult> {
  const started = performance.now();
  const store = vectorStoreFor(index, encoder);
  const { docs } = index;
  const remaining = docs.size - store.rows;
  if (remaining <= 0) return { store, embedded: 0, seconds: 0 };

  const batchSize = options.batchSize ?? 256;
  const checkpointMs = (options.checkpointSeconds ?? 30) * 1000;
  const progress = new ProgressBar({
    label: `embedding (${encoder.id})`,
    total: remaining,
    unit: 'docs',
    quiet: options.quiet ?? false,
  });
  let lastCheckpoint = performance.now();
  while (store.rows < docs.size) {
    const from = store.rows;
    const to = Math.min(docs.size, from + batchSize);
    const texts: string[] = [];
    for (let ord = from; ord < to; ord++) texts.push(docs.isLive(ord) ? embeddingText(docs.get(ord)) : '');
    const vectors = await encoder.encode(texts, 'document');
    store.addBatch(vectors, to - from);
    // Deleted documents still take a row, so that rows stay aligned with ordinals; it is never returned.
    for (let ord = from; ord < to; ord++) if (!docs.isLive(ord)) store.markDeleted(ord);
    progress.tick(to - from);
    if (performance.now() - lastCheckpoint > checkpointMs && store.rows < docs.size) {
      await index.commit();
      lastCheckpoint = performance.now();
    }
  }
  await index.commit();
  const seconds = (performance.now() - started) / 1000;
  progress.finish(`${Math.round(remaining / Math.max(seconds, 1e-9))} docs/s`);
  return { store, embedded: remaining, seconds };
}
