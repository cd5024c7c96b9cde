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
import { access, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import { SiftError } from '../errors.js';
import { type SiftIndex, vectorStoreFor } from '../index/index.js';
import type { Encoder } from '../models/index.js';
import { ProgressBar } from '../util/index.js';
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

const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

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
    const pending: EmbedChunk[] = [];
    for (const chunk of chunks) {
      if (await exists(chunkFile(chunk))) reused++;
      else pending.push(chunk);
    }
    await enqueue(queue, pending);
    await watch(queue, pending, options);
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

/** Queues the chunks that are not already waiting or running (a finished or failed one runs again). */
async function enqueue(queue: Queue, chunks: readonly EmbedChunk[]): Promise<void> {
  const toAdd: Array<{ name: string; data: EmbedChunk; opts: { jobId: string } }> = [];
  for (const chunk of chunks) {
    const id = embedChunkId(chunk);
    const state = await queue.getJobState(id);
    if (LIVE_STATES.has(state)) continue;
    if (state === 'completed' || state === 'failed') await (await queue.getJob(id))?.remove();
    toAdd.push({ name: EMBED_CHUNK_NAME, data: chunk, opts: { jobId: id } });
  }
  for (let i = 0; i < toAdd.length; i += 500) await queue.addBulk(toAdd.slice(i, i + 500));
}

/** Waits until every chunk's file exists; a chunk the queue gave up on fails the run with its reason. */
async function watch(
  queue: Queue,
  chunks: readonly EmbedChunk[],
  options: QueuedEmbedOptions,
): Promise<void> {
  const progress = new ProgressBar({
    label: `embedding on workers (${chunks.length} chunks, ${options.embedder})`,
    total: chunks.reduce((sum, chunk) => sum + chunk.to - chunk.from, 0),
    unit: 'docs',
    quiet: options.quiet ?? false,
  });
  let waiting = [...chunks];
  try {
    while (waiting.length > 0) {
      const left: EmbedChunk[] = [];
      const failed: string[] = [];
      for (const chunk of waiting) {
        if (await exists(chunkFile(chunk))) {
          progress.tick(chunk.to - chunk.from);
          continue;
        }
        left.push(chunk);
        const id = embedChunkId(chunk);
        if ((await queue.getJobState(id)) === 'failed') {
          const job = await queue.getJob(id);
          failed.push(
            `${id} (documents ${chunk.from}–${chunk.to - 1}): ${job?.failedReason ?? 'no reason recorded'}`,
          );
        }
      }
      if (failed.length > 0) {
        throw new SiftError(
          'E_JOB_FAILED',
          `${failed.length} embedding chunk(s) failed on the workers; the rest are kept for the next run:\n  ${failed.join('\n  ')}`,
        );
      }
      waiting = left;
      if (waiting.length > 0) await sleep(options.pollMs ?? 500);
    }
  } finally {
    progress.finish();
  }
}
