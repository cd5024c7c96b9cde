// The producer side of queued embedding (`sift index --embedder E --queue URL`): the documents that lack
// a vector are cut into ranges, each range goes on the embed queue under an id derived from it, the
// producer watches the chunk files appear (progress summed over every worker), and then appends them to
// the index's vector store in order and commits once.
//
// Resumable at two levels: a finished chunk's file stays on disk until the commit that holds its vectors,
// so a producer run again after an interruption queues only the ranges without a file; and the store's
// committed rows are where the next run starts. The index has one writer, the producer: workers write
// only chunk files.

import { realpathSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { type SiftIndex, vectorStoreFor } from '../index/index.js';
import type { Encoder } from '../models/index.js';
import {
  chunkFile,
  chunkFolder,
  EMBED_CHUNK_NAME,
  EMBED_CHUNK_VERSION,
  EMBED_QUEUE,
  type EmbedChunk,
  embedChunkId,
  readChunkVectors,
} from './embed-chunk.js';
import { runFileChunks } from './file-chunks.js';
import { openChunkQueue, type QueueTarget } from './queue-connection.js';

/** Documents per chunk by default: tens of seconds of one worker's time, little to lose to a kill. */
export const DEFAULT_CHUNK_DOCS = 512;

export interface QueuedEmbedOptions {
  target: QueueTarget;
  /** Opened read-write: the vectors are committed to it. */
  index: SiftIndex;
  /** The embedder's ref (what workers open) and what the store needs of it. */
  embedder: string;
  encoder: Pick<Encoder, 'id' | 'dimension' | 'normalized'>;
  chunkDocs?: number;
  /** Milliseconds between polls of the chunk files. Default 500. */
  pollMs?: number;
  quiet?: boolean;
}

export interface QueuedEmbedOutcome {
  /** Documents whose vectors this run committed. */
  embedded: number;
  chunks: number;
  /** Chunks whose file an earlier run's workers had already written. */
  reused: number;
  seconds: number;
}

export async function embedOnQueue(options: QueuedEmbedOptions): Promise<QueuedEmbedOutcome> {
  const started = performance.now();
  const { index, encoder } = options;
  const store = vectorStoreFor(index, encoder);
  const first = store.rows;
  const total = index.docs.size;
  if (first >= total) return { embedded: 0, chunks: 0, reused: 0, seconds: 0 };
  // Workers read the index by this path: resolve links so that two spellings make one chunk id.
  const indexPath = realpathSync(index.dir);
  const size = options.chunkDocs ?? DEFAULT_CHUNK_DOCS;
  const chunks: EmbedChunk[] = [];
  for (let from = first; from < total; from += size) {
    chunks.push({
      version: EMBED_CHUNK_VERSION,
      index: indexPath,
      embedder: options.embedder,
      from,
      to: Math.min(total, from + size),
    });
  }
  const { queue, close } = openChunkQueue(EMBED_QUEUE, options.target);
  let reused = 0;
  try {
    ({ reused } = await runFileChunks(
      queue,
      chunks.map((chunk) => ({
        id: embedChunkId(chunk),
        data: chunk,
        file: chunkFile(chunk),
        weight: chunk.to - chunk.from,
        describe: `documents ${chunk.from}–${chunk.to - 1}`,
      })),
      {
        jobName: EMBED_CHUNK_NAME,
        kind: 'embedding',
        label: `embedding on workers (${chunks.length} chunks, ${options.embedder})`,
        unit: 'docs',
        ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
        quiet: options.quiet ?? false,
      },
    ));
  } finally {
    await close();
  }

  // Every range has its file: append them in order and commit once.
  for (const chunk of chunks) {
    const rows = chunk.to - chunk.from;
    const vectors = await readChunkVectors(chunkFile(chunk), rows, encoder.dimension);
    store.addBatch(vectors, rows);
    for (let ord = chunk.from; ord < chunk.to; ord++) if (!index.docs.isLive(ord)) store.markDeleted(ord);
  }
  await index.commit();
  await rm(chunkFolder(indexPath, options.embedder), { recursive: true, force: true });
  return {
    embedded: total - first,
    chunks: chunks.length,
    reused,
    seconds: (performance.now() - started) / 1000,
  };
}
