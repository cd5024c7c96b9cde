// The HTTP thread's handle on the engine thread. Searches wait in a bounded queue here, with a few in
// flight at a time, so that an aborted request is dropped before the engine ever sees it and a burst
// is shed with E_OVERLOADED instead of piling up in the worker's message queue. Writes go straight
// through: the engine serialises and group-commits them.

import { Worker } from 'node:worker_threads';
import { SiftError } from '../errors.js';
import type { Doc } from '../ingest/index.js';
import type {
  EngineHit,
  EngineInfo,
  EngineReply,
  EngineRequest,
  EngineSearch,
  EngineSearchResult,
  EngineWorkerData,
  WriteResult,
} from './engine-protocol.js';
import { ConcurrencyGate, type Priority } from './gate.js';
import { fromWireError } from './wire-error.js';

export interface EngineClientOptions extends EngineWorkerData {
  /** Searches sent to the engine at once (more wait here). Default 2. */
  concurrency?: number;
  /** Searches waiting here; past it, E_OVERLOADED. */
  maxQueue: number;
}

export class EngineClient {
  private nextId = 1;
  private readonly outstanding = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void }
  >();
  private readonly gate: ConcurrencyGate;
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    options: EngineClientOptions,
    /** What the engine reported at start; refreshed by `refreshInfo`. */
    public info: EngineInfo,
  ) {
    this.gate = new ConcurrencyGate({
      name: 'engine',
      limit: options.concurrency ?? 2,
      maxWaiting: options.maxQueue,
      refusal: 'E_OVERLOADED',
    });
    worker.on('message', (reply: EngineReply) => {
      const task = this.outstanding.get(reply.id);
      if (!task || 'type' in reply) return;
      this.outstanding.delete(reply.id);
      if (reply.ok) task.resolve(reply.value);
      else task.reject(fromWireError(reply.error));
    });
    worker.on('exit', (code) => {
      this.exited = true;
      for (const task of this.outstanding.values()) {
        task.reject(new SiftError('E_INTERNAL', `the engine thread exited (code ${code})`));
      }
      this.outstanding.clear();
    });
  }

  /** Starts the engine thread and waits until it has opened the index. */
  static start(options: EngineClientOptions): Promise<EngineClient> {
    const { concurrency: _c, maxQueue: _q, ...data } = options;
    const worker = new Worker(new URL('./engine-worker.js', import.meta.url), { workerData: data });
    return new Promise((resolve, reject) => {
      const onMessage = (reply: EngineReply) => {
        if (!('type' in reply)) return;
        worker.off('message', onMessage);
        if (reply.type === 'ready') resolve(new EngineClient(worker, options, reply.info));
        else {
          reject(fromWireError(reply.error));
          void worker.terminate();
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) =>
        reject(new SiftError('E_INTERNAL', `the engine thread exited (code ${code})`)),
      );
    });
  }

  get queueDepth(): number {
    return this.gate.waiting;
  }

  async search(
    request: Omit<EngineSearch, 'op'>,
    signal?: AbortSignal,
    priority: Priority = 'high',
  ): Promise<EngineSearchResult> {
    const release = await this.gate.acquire(signal, priority);
    try {
      return (await this.send({ op: 'search', ...request })) as EngineSearchResult;
    } finally {
      release();
    }
  }

  snippets(query: string, ords: number[]): Promise<Array<NonNullable<EngineHit['snippet']>>> {
    return this.send({ op: 'snippets', query, ords }) as Promise<Array<NonNullable<EngineHit['snippet']>>>;
  }

  upsert(docs: Doc[], vectors: Float32Array | undefined): Promise<WriteResult> {
    return this.send({ op: 'upsert', docs, ...(vectors ? { vectors } : {}) }) as Promise<WriteResult>;
  }

  delete(docId: string): Promise<WriteResult> {
    return this.send({ op: 'delete', docId }) as Promise<WriteResult>;
  }

  async refreshInfo(): Promise<EngineInfo> {
    this.info = (await this.send({ op: 'info' })) as EngineInfo;
    return this.info;
  }

  private send(request: EngineRequest): Promise<unknown> {
    if (this.exited) return Promise.reject(new SiftError('E_INTERNAL', 'the engine thread is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.outstanding.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  /** Lets the engine commit pending writes, then stops it. */
  async close(): Promise<void> {
    if (this.exited) return;
    await new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      this.worker.postMessage({ op: 'close' });
    });
  }
}
