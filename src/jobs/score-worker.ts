// `sift worker`'s teacher-scoring side: chunks of the score queue, each a few candidate lists scored by
// a cross-encoder teacher and written to the chunk's result file (atomically: a worker killed mid-chunk
// leaves no file, and the chunk runs again elsewhere once its lock lapses). Workers write nothing else.

import { mkdir } from 'node:fs/promises';
import { loadCrossEncoder, type Ranker } from '../rank/index.js';
import { writeFileAtomic } from '../util/index.js';
import { type QueueWorkerOptions, type RunningQueueWorker, startQueueWorker } from './queue-worker.js';
import {
  encodeChunkScores,
  parseScoreChunk,
  SCORE_CHUNK_NAME,
  SCORE_QUEUE,
  scoreChunkFile,
} from './score-chunk.js';

export interface ScoreWorkerOptions extends QueueWorkerOptions {
  /** Threads per model session. Default: every core. */
  threads?: number;
}

export interface ScoreChunkResult {
  lists: number;
  pairs: number;
  seconds: number;
}

/** Teachers opened by (folder, length), reused across chunks. */
class ScoreChunkRunner {
  private readonly models = new Map<string, Promise<Ranker>>();

  constructor(private readonly threads: number | undefined) {}

  private model(folder: string, id: string, maxLength: number): Promise<Ranker> {
    const key = `${folder}\n${maxLength}`;
    let model = this.models.get(key);
    if (!model) {
      model = loadCrossEncoder(folder, {
        id,
        maxLength,
        ...(this.threads !== undefined ? { threads: this.threads } : {}),
      });
      // A failed open is not kept, so a later chunk tries again.
      model.catch(() => this.models.delete(key));
      this.models.set(key, model);
    }
    return model;
  }

  async run(data: unknown, jobId: string): Promise<ScoreChunkResult> {
    const started = performance.now();
    const chunk = parseScoreChunk(data, jobId);
    const teacher = await this.model(chunk.model, chunk.modelId, chunk.maxLength);
    const scores: number[][] = [];
    for (const list of chunk.lists) scores.push(Array.from(await teacher.score(list.query, list.docs)));
    await mkdir(chunk.out, { recursive: true });
    await writeFileAtomic(scoreChunkFile(chunk), encodeChunkScores(chunk, scores));
    return {
      lists: chunk.lists.length,
      pairs: scores.reduce((sum, row) => sum + row.length, 0),
      seconds: (performance.now() - started) / 1000,
    };
  }

  async close(): Promise<void> {
    for (const model of this.models.values()) await (await model.catch(() => undefined))?.release();
    this.models.clear();
  }
}

export function startScoreWorker(options: ScoreWorkerOptions): Promise<RunningQueueWorker> {
  const runner = new ScoreChunkRunner(options.threads);
  return startQueueWorker<ScoreChunkResult>(
    {
      queue: SCORE_QUEUE,
      jobName: SCORE_CHUNK_NAME,
      run: (job) => runner.run(job.data, job.id ?? '?'),
      describe: (result) =>
        `${result.pairs} pairs in ${result.lists} lists scored in ${result.seconds.toFixed(1)} s (${(result.pairs / Math.max(result.seconds, 1e-9)).toFixed(1)} pairs/s)`,
      close: () => runner.close(),
    },
    options,
  );
}
