// `sift worker`'s embedding side: chunks of the embed queue, each a range of an index's documents,
// embedded and written to the chunk's file beside the index (atomically: a worker killed mid-chunk
// leaves no file, and the chunk runs again elsewhere once its lock lapses). Workers only read the index;
// the producer appends the files to its vector store.

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SiftError } from '../errors.js';
import { embeddingText, SiftIndex } from '../index/index.js';
import { type Encoder, openEmbedder } from '../models/index.js';
import { writeFileAtomic } from '../util/index.js';
import {
  chunkFile,
  EMBED_CHUNK_NAME,
  EMBED_QUEUE,
  encodeChunkVectors,
  parseEmbedChunk,
} from './embed-chunk.js';
import { type QueueWorkerOptions, type RunningQueueWorker, startQueueWorker } from './queue-worker.js';

export interface EmbedWorkerOptions extends QueueWorkerOptions {
  /** Threads per embedder session. Default: every core. */
  threads?: number;
}

export interface EmbedChunkResult {
  rows: number;
  dimension: number;
  seconds: number;
}

/** Opened indexes (by folder and committed generation) and embedders (by ref), reused across chunks. */
class EmbedChunkRunner {
  private readonly encoders = new Map<string, Promise<Encoder>>();
  private opened: { key: string; index: Promise<SiftIndex> } | undefined;

  constructor(private readonly threads: number | undefined) {}

  private async index(dir: string): Promise<SiftIndex> {
    // Reopened only when a commit has moved CURRENT since.
    const current = await SiftIndex.currentGeneration(dir);
    const key = `${dir}\n${current}`;
    if (this.opened?.key !== key) this.opened = { key, index: SiftIndex.open(dir) };
    return this.opened.index;
  }

  private encoder(ref: string): Promise<Encoder> {
    let encoder = this.encoders.get(ref);
    if (!encoder) {
      encoder = openEmbedder(ref, {
        quiet: true,
        ...(this.threads !== undefined ? { threads: this.threads } : {}),
      });
      // A failed open is not kept, so a later chunk tries again.
      encoder.catch(() => this.encoders.delete(ref));
      this.encoders.set(ref, encoder);
    }
    return encoder;
  }

  async run(data: unknown, jobId: string): Promise<EmbedChunkResult> {
    const started = performance.now();
    const chunk = parseEmbedChunk(data, jobId);
    const index = await this.index(chunk.index);
    const { docs } = index;
    if (chunk.to > docs.size) {
      throw new SiftError(
        'E_BAD_JOB',
        `job ${jobId}: documents ${chunk.from}–${chunk.to - 1} are past the index's ${docs.size} (field "to")`,
        { field: 'to', job: jobId },
      );
    }
    const encoder = await this.encoder(chunk.embedder);
    const texts: string[] = [];
    for (let ord = chunk.from; ord < chunk.to; ord++) {
      // A deleted document still takes its row (rows stay aligned with ordinals); it is never returned.
      texts.push(docs.isLive(ord) ? embeddingText(docs.get(ord)) : '');
    }
    const vectors = await encoder.encode(texts, 'document');
    const file = chunkFile(chunk);
    await mkdir(dirname(file), { recursive: true });
    await writeFileAtomic(file, encodeChunkVectors(vectors, texts.length));
    return {
      rows: texts.length,
      dimension: encoder.dimension,
      seconds: (performance.now() - started) / 1000,
    };
  }

  async close(): Promise<void> {
    for (const encoder of this.encoders.values()) await (await encoder.catch(() => undefined))?.release();
    this.encoders.clear();
  }
}

export function startEmbedWorker(options: EmbedWorkerOptions): Promise<RunningQueueWorker> {
  const runner = new EmbedChunkRunner(options.threads);
  return startQueueWorker<EmbedChunkResult>(
    {
      queue: EMBED_QUEUE,
      jobName: EMBED_CHUNK_NAME,
      run: (job) => runner.run(job.data, job.id ?? '?'),
      describe: (result) =>
        `${result.rows} documents embedded in ${result.seconds.toFixed(1)} s (${Math.round(result.rows / Math.max(result.seconds, 1e-9))} docs/s)`,
      close: () => runner.close(),
    },
    options,
  );
}
