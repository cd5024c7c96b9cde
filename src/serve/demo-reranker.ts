// The demo learns what relevant means. Serving the synthetic job corpus for the first time, sift serve
// trains the demo's reranker (the 'demo' preset: sift's default cross-encoder recipe on the committed job
// label set) on a worker thread at the lowest scheduling priority, once the service is ready (it serves
// with what it has meanwhile), reports the training's progress in /v1/info (the page shows it), and makes
// the trained model what the ranker "default" names as soon as it is installed and loaded. Later starts
// find it installed and use it from the start. A run killed with the service resumes from its last checkpoint on the next start (the
// training run's folder is keyed by recipe and data, src/train/train-preset.ts).

import { Worker } from 'node:worker_threads';
import { SiftError } from '../errors.js';
import { installedTrainedModel } from '../models/index.js';
import type { DemoTrainMessage, DemoTrainWorkerData } from './demo-train-worker.js';
import { fromWireError } from './wire-error.js';

/** The model the 'demo' preset trains (src/train/presets.ts). */
export const DEMO_RERANKER_ID = 'sift-ce-jobs';

/** 'waiting': for the service to be ready before training starts. */
export type DemoRerankerState = 'waiting' | 'training' | 'loading' | 'ready' | 'failed';

/** What /v1/info reports about the demo's reranker. */
export interface DemoRerankerStatus {
  id: string;
  state: DemoRerankerState;
  /** Optimizer steps done and the most the run will take (early stopping can end it sooner). */
  step?: number;
  steps?: number;
  /** The last step's training loss. */
  loss?: number;
  /** Seconds since training (or loading) began, or that it took once finished. */
  seconds: number;
  /** Why training or loading failed. */
  error?: string;
}

export interface DemoRerankerOptions {
  home: string;
  /** Most optimizer steps (undefined: the preset's whole run). */
  maxSteps: number | undefined;
  /** The training thread's scheduling priority (nice, 0–19). */
  nice: number;
  /** Opens the trained ranker in every ranker worker (RankerReadiness's load). */
  load: (id: string) => Promise<unknown>;
  log: (line: string) => void;
}

export class DemoReranker {
  private state: DemoRerankerState;
  private started = Date.now();
  private finished: number | undefined;
  private progress: { step: number; steps: number; loss: number } | undefined;
  private error: SiftError | undefined;
  private worker: Worker | undefined;
  private closing = false;
  private run: Promise<void> | undefined;
  /** True when the model was trained before this start (no training now). */
  readonly installedAtStart: boolean;

  constructor(private readonly options: DemoRerankerOptions) {
    this.installedAtStart = installedTrainedModel(DEMO_RERANKER_ID, options.home) !== undefined;
    this.state = this.installedAtStart ? 'loading' : 'waiting';
  }

  /**
   * Loads the installed model, or trains it first (call once the service is ready, so that training does
   * not slow the start). Resolves when the model is ready or has failed; never rejects: `status()` says which.
   */
  start(): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.run ??= (async () => {
      this.started = Date.now();
      try {
        if (!this.installedAtStart) {
          this.state = 'training';
          this.options.log(
            `demo reranker ${DEMO_RERANKER_ID}: training from the committed job labels in the background`,
          );
          await this.train();
        }
        this.state = 'loading';
        await this.options.load(DEMO_RERANKER_ID);
        this.state = 'ready';
        this.finished = Date.now();
        this.options.log(`demo reranker ${DEMO_RERANKER_ID}: ready; "default" names it now`);
      } catch (error) {
        this.fail(error);
      }
    })();
    return this.run;
  }

  /** The id "default" names once the trained model is ready to score; undefined until then. */
  get readyId(): string | undefined {
    return this.state === 'ready' ? DEMO_RERANKER_ID : undefined;
  }

  status(): DemoRerankerStatus {
    return {
      id: DEMO_RERANKER_ID,
      state: this.state,
      ...(this.progress ?? {}),
      seconds: Math.round(((this.finished ?? Date.now()) - this.started) / 100) / 10,
      ...(this.error ? { error: this.error.message } : {}),
    };
  }

  /** Stops training (its last checkpoint stays for the next start). */
  async close(): Promise<void> {
    this.closing = true;
    await this.worker?.terminate();
  }

  private train(): Promise<void> {
    const workerData: DemoTrainWorkerData = {
      home: this.options.home,
      maxSteps: this.options.maxSteps,
      nice: this.options.nice,
    };
    const worker = new Worker(new URL('./demo-train-worker.js', import.meta.url), { workerData });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (error: SiftError) => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      worker.on('message', (message: DemoTrainMessage) => {
        if (message.type === 'step') {
          this.progress = { step: message.step, steps: message.steps, loss: message.loss };
        } else if (message.type === 'done') {
          settled = true;
          const dev =
            message.bestDevNdcg10 === undefined ? '' : `, dev nDCG@10 ${message.bestDevNdcg10.toFixed(3)}`;
          this.options.log(`demo reranker ${message.id}: trained in ${message.steps} steps${dev}`);
          resolve();
        } else fail(fromWireError(message.error));
      });
      worker.on('error', (error) =>
        fail(new SiftError('E_INTERNAL', `demo training crashed: ${error.message}`, {}, { cause: error })),
      );
      worker.on('exit', (code) => {
        this.worker = undefined;
        fail(
          new SiftError('E_INTERNAL', `demo training stopped (worker exit code ${code}) before it finished`),
        );
      });
    });
  }

  private fail(error: unknown): void {
    if (this.state === 'failed' || this.closing) return;
    this.state = 'failed';
    this.finished = Date.now();
    this.error =
      error instanceof SiftError
        ? error
        : new SiftError('E_INTERNAL', `demo reranker failed: ${String(error)}`);
    this.options.log(`demo reranker ${DEMO_RERANKER_ID}: ${this.error.message}; "default" keeps its ranker`);
  }
}
