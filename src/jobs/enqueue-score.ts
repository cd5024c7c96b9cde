// The producer side of queued teacher scoring: candidate lists are cut into chunks, each chunk goes on
// the score queue under an id derived from its content, the producer watches the result files appear
// (progress summed over every worker) and reads the scores back in list order.
//
// Resumable: a chunk's file stays in `out` until the caller removes the folder (once what it needed the
// scores for is safely written), so a producer run again after an interruption queues only the chunks
// without a file, and scores of lists that did not change are never recomputed.

import { realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { runFileChunks } from './file-chunks.js';
import { openChunkQueue, type QueueTarget } from './queue-connection.js';
import {
  readChunkScores,
  SCORE_CHUNK_NAME,
  SCORE_CHUNK_VERSION,
  SCORE_QUEUE,
  type ScoreChunk,
  type ScoreList,
  scoreChunkFile,
  scoreChunkId,
} from './score-chunk.js';

/** Lists per chunk by default: 16 lists of 16 candidates are seconds to a minute of one worker's time. */
export const DEFAULT_CHUNK_LISTS = 16;

export interface QueuedScoreOptions {
  target: QueueTarget;
  /** The teacher's checkpoint folder (workers open it by this path: shared storage across machines). */
  model: string;
  modelId: string;
  maxLength: number;
  lists: readonly ScoreList[];
  /** Folder the workers write result files into (created; shared storage). */
  out: string;
  chunkLists?: number;
  pollMs?: number;
  quiet?: boolean;
}

export interface QueuedScoreOutcome {
  /** One score per candidate, in the order of `lists`. */
  scores: number[][];
  chunks: number;
  /** Chunks whose file an earlier run's workers had already written. */
  reused: number;
  seconds: number;
}

export async function scoreListsOnQueue(options: QueuedScoreOptions): Promise<QueuedScoreOutcome> {
  const started = performance.now();
  await mkdir(options.out, { recursive: true });
  // Workers open these by path: resolve links so that two spellings make one chunk id.
  const model = realpathSync(options.model);
  const out = realpathSync(options.out);
  const size = options.chunkLists ?? DEFAULT_CHUNK_LISTS;
  const chunks: ScoreChunk[] = [];
  for (let from = 0; from < options.lists.length; from += size) {
    chunks.push({
      version: SCORE_CHUNK_VERSION,
      model,
      modelId: options.modelId,
      maxLength: options.maxLength,
      out,
      lists: options.lists.slice(from, from + size),
    });
  }
  const { queue, close } = openChunkQueue(SCORE_QUEUE, options.target);
  let reused = 0;
  try {
    ({ reused } = await runFileChunks(
      queue,
      chunks.map((chunk, i) => ({
        id: scoreChunkId(chunk),
        data: chunk,
        file: scoreChunkFile(chunk),
        weight: chunk.lists.reduce((sum, list) => sum + list.docs.length, 0),
        describe: `lists ${i * size}–${i * size + chunk.lists.length - 1}`,
      })),
      {
        jobName: SCORE_CHUNK_NAME,
        kind: 'teacher-scoring',
        label: `teacher ${options.modelId} on workers (${chunks.length} chunks)`,
        unit: 'pairs',
        ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
        quiet: options.quiet ?? false,
      },
    ));
  } finally {
    await close();
  }
  const scores: number[][] = [];
  for (const chunk of chunks) scores.push(...(await readChunkScores(chunk)));
  return { scores, chunks: chunks.length, reused, seconds: (performance.now() - started) / 1000 };
}
