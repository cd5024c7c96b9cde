// A pool of model worker threads: each loads the models once at start (rankers when asked to), then
// runs whole batches sent to it. Work goes to the worker with the fewest tasks outstanding. A worker that
// dies fails its outstanding tasks with E_INTERNAL and is replaced (reopening the rankers that were
// loaded), so one crash costs a few requests, not the service.

import { Worker } from 'node:worker_threads';
import { SiftError } from '../errors.js';
import type { TextRole } from '../models/index.js';
import type {
  ModelRequest,
  ModelResponse,
  ModelWorkerData,
  ModelWorkerStatus,
  RankJob,
  RankOutcome,
  RankProgress,
} from './model-protocol.js';
import { fromWireError } from './wire-error.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

type Task = { resolve: (value: ModelResponse) => void; reject: (error: unknown) => void };

interface PoolWorker {
  worker: Worker;
  outstanding: Map<number, Task>;
}

export interface ModelPoolOptions extends ModelWorkerData {
  size: number;
}

export class ModelPool {
  private readonly workers: PoolWorker[] = [];
  private nextId = 1;
  private closing = false;
  /** Listeners for the chunks of budgeted rank jobs, by job key. */
  private readonly progress = new Map<number, (progress: RankProgress) => void>();
  /** Embedding dimension reported by the workers (0 without an embedder). */
  dimension = 0;
  /** The scheduling priority the workers run at, as they reported it when ready. */
  priority: { nice: number; reason?: string } | undefined;

  private constructor(private readonly options: ModelPoolOptions) {}

  /** Starts `size` workers and waits until each has loaded its models. */
  static async start(options: ModelPoolOptions): Promise<ModelPool> {
    const pool = new ModelPool(options);
    try {
      await Promise.all(Array.from({ length: options.size }, () => pool.spawn()));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  async embed(texts: string[], role: TextRole): Promise<Float32Array> {
    return (await this.call({ op: 'embed', texts, role })) as Float32Array;
  }

  async rank(jobs: RankJob[]): Promise<RankOutcome[]> {
    return (await this.call({ op: 'rank', jobs })) as RankOutcome[];
  }

  /**
   * Calls `onChunk` with each chunk of scores the job `key` finishes (budgeted jobs send them) until the
   * returned function is called.
   */
  watch(key: number, onChunk: (progress: RankProgress) => void): () => void {
    this.progress.set(key, onChunk);
    return () => this.progress.delete(key);
  }

  /** Tells every worker to stop these rank jobs at their next chunk (or skip them if not started). */
  cancel(keys: number[]): void {
    for (const { worker } of this.workers) worker.postMessage({ op: 'cancel', keys });
  }

  /** Opens a ranker in every worker (pulling and building its model when needed); its canonical id. */
  async loadRanker(ranker: string): Promise<string> {
    const loaded = await Promise.all(
      this.workers.map((w) => this.call({ op: 'load', ranker }, w) as Promise<{ rankerId: string }>),
    );
    this.options.preloadRankers = [...new Set([...(this.options.preloadRankers ?? []), ranker])];
    return loaded[0]?.rankerId ?? ranker;
  }

  private async call(
    request: DistributiveOmit<ModelRequest, 'id'>,
    worker?: PoolWorker,
  ): Promise<Float32Array | RankOutcome[] | { rankerId: string }> {
    if (this.closing) throw new SiftError('E_SHUTTING_DOWN', 'the model pool is shutting down');
    const target =
      worker ?? this.workers.reduce((best, w) => (w.outstanding.size < best.outstanding.size ? w : best));
    const id = this.nextId++;
    const response = await new Promise<ModelResponse>((resolve, reject) => {
      target.outstanding.set(id, { resolve, reject });
      target.worker.postMessage({ ...request, id } as ModelRequest);
    });
    if (!response.ok) throw fromWireError(response.error);
    return response.value;
  }

  private spawn(): Promise<void> {
    const { size: _size, ...data } = this.options;
    const worker = new Worker(new URL('./model-worker.js', import.meta.url), { workerData: data });
    const entry: PoolWorker = { worker, outstanding: new Map() };
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: ModelResponse | ModelWorkerStatus) => {
        if ('type' in message) {
          if (message.type === 'progress') {
            this.progress.get(message.key)?.(message);
            return;
          }
          if (message.type === 'ready') {
            ready = true;
            this.dimension = message.dimension;
            this.priority = {
              nice: message.nice,
              ...(message.niceReason === undefined ? {} : { reason: message.niceReason }),
            };
            this.workers.push(entry);
            resolve();
          } else {
            reject(fromWireError(message.error));
          }
          return;
        }
        const task = entry.outstanding.get(message.id);
        entry.outstanding.delete(message.id);
        task?.resolve(message);
      });
      worker.on('error', (error) => {
        if (!ready) reject(error);
      });
      worker.on('exit', (code) => {
        const at = this.workers.indexOf(entry);
        if (at >= 0) this.workers.splice(at, 1);
        for (const task of entry.outstanding.values()) {
          task.reject(new SiftError('E_INTERNAL', `a model worker exited (code ${code}) during a call`));
        }
        entry.outstanding.clear();
        if (!ready) reject(new SiftError('E_INTERNAL', `a model worker exited (code ${code}) while loading`));
        else if (!this.closing) this.spawn().catch(() => {});
      });
    });
  }

  /** Lets every worker finish what it was sent, then stops it. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.workers.map(
        ({ worker }) =>
          new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            worker.postMessage({ op: 'close' });
          }),
      ),
    );
  }
}
