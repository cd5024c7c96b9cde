// The producer's half of every chunk kind whose result is a file (embedding, teacher scoring): queue the
// chunks whose file does not exist yet under their content-derived ids, then watch the files appear, with
// one progress bar over every worker. A chunk the queue gave up on fails the run with its reason; the
// files already written stay for the next run, which queues only what is still missing.

import { access } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';
import { SiftError } from '../errors.js';
import { ProgressBar } from '../util/index.js';

export interface FileChunk<T> {
  /** The job's id: a hash of what the chunk computes, so the same work is never queued twice. */
  id: string;
  data: T;
  /** Where a worker writes the chunk's result (atomically). */
  file: string;
  /** Its share of the progress bar (documents, pairs). */
  weight: number;
  /** How a failure names the chunk's inputs, e.g. "documents 0–511". */
  describe: string;
}

export interface FileChunkRun {
  /** The BullMQ job name the workers take. */
  jobName: string;
  /** The kind of work, as messages name it ("embedding", "teacher-scoring"). */
  kind: string;
  label: string;
  unit: string;
  /** Milliseconds between polls of the files. Default 500. */
  pollMs?: number;
  quiet?: boolean;
}

const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Runs the chunks without a file on the workers; returns how many already had one. */
export async function runFileChunks<T>(
  queue: Queue,
  chunks: readonly FileChunk<T>[],
  run: FileChunkRun,
): Promise<{ reused: number }> {
  const pending: FileChunk<T>[] = [];
  for (const chunk of chunks) if (!(await exists(chunk.file))) pending.push(chunk);
  await enqueue(queue, pending, run.jobName);
  await watch(queue, pending, run);
  return { reused: chunks.length - pending.length };
}

/** Queues the chunks that are not already waiting or running (a finished or failed one runs again). */
async function enqueue<T>(queue: Queue, chunks: readonly FileChunk<T>[], name: string): Promise<void> {
  const toAdd: Array<{ name: string; data: T; opts: { jobId: string } }> = [];
  for (const chunk of chunks) {
    const state = await queue.getJobState(chunk.id);
    if (LIVE_STATES.has(state)) continue;
    if (state === 'completed' || state === 'failed') await (await queue.getJob(chunk.id))?.remove();
    toAdd.push({ name, data: chunk.data, opts: { jobId: chunk.id } });
  }
  for (let i = 0; i < toAdd.length; i += 500) await queue.addBulk(toAdd.slice(i, i + 500));
}

/** Waits until every chunk's file exists; a chunk the queue gave up on fails the run with its reason. */
async function watch<T>(queue: Queue, chunks: readonly FileChunk<T>[], run: FileChunkRun): Promise<void> {
  const progress = new ProgressBar({
    label: run.label,
    total: chunks.reduce((sum, chunk) => sum + chunk.weight, 0),
    unit: run.unit,
    quiet: run.quiet ?? false,
  });
  let waiting = [...chunks];
  try {
    while (waiting.length > 0) {
      const left: FileChunk<T>[] = [];
      const failed: string[] = [];
      for (const chunk of waiting) {
        if (await exists(chunk.file)) {
          progress.tick(chunk.weight);
          continue;
        }
        left.push(chunk);
        if ((await queue.getJobState(chunk.id)) === 'failed') {
          const job = await queue.getJob(chunk.id);
          failed.push(`${chunk.id} (${chunk.describe}): ${job?.failedReason ?? 'no reason recorded'}`);
        }
      }
      if (failed.length > 0) {
        throw new SiftError(
          'E_JOB_FAILED',
          `${failed.length} ${run.kind} chunk(s) failed on the workers; the rest are kept for the next run:\n  ${failed.join('\n  ')}`,
        );
      }
      waiting = left;
      if (waiting.length > 0) await sleep(run.pollMs ?? 500);
    }
  } finally {
    progress.finish();
  }
}
