// The demo learns what relevant means. Serving the synthetic job corpus for the first time, sift serve
// trains the demo's reranker (the 'demo' preset: sift's default cross-encoder recipe on the committed job
// label set) on a worker thread at the lowest scheduling priority, once the service is ready (it serves
// with what it has meanwhile), and reports the training's progress in /v1/info (the page shows it).
//
// Then it measures the model on the corpus's judged test queries, which no label set holds: the first
// stage alone against the first stage reranked by the model, in the same run (demo-train-worker.ts). The
// model becomes what "default" names only if it is not worse than serving without it; otherwise it is
// held back (still listed, to try by name) and the page says why, with both numbers. A trained model that
// teaches the service to rank worse must not become its default, however it scored on its own dev split.
//
// The decision is kept beside the corpus's evaluations with the model's creation time, so later starts
// act on it at once (loading the model before the configured rankers when it is the default) and never
// train or measure again. A run killed with the service resumes from its last checkpoint on the next
// start (the training run's folder is keyed by recipe and data, src/train/train-preset.ts).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SiftError } from '../errors.js';
import { installedTrainedModel, MODEL_CARD, readTrainedModel } from '../models/index.js';
import { writeFileAtomic } from '../util/index.js';
import type {
  DemoEvaluation,
  DemoEvaluationSetup,
  DemoTrainMessage,
  DemoTrainWorkerData,
} from './demo-train-worker.js';
import { fromWireError } from './wire-error.js';

export type { DemoEvaluation } from './demo-train-worker.js';

/** How long close() waits for the thread to reach a safe point (a training step, a query). */
const STOP_GRACE_MS = 60_000;

/** The model the 'demo' preset trains (src/train/presets.ts). */
export const DEMO_RERANKER_ID = 'sift-ce-jobs';

/**
 * 'waiting' for the service to be ready; 'training'; 'evaluating' on the test queries; 'loading' into the
 * ranker workers; 'ready' (the default); 'held back' (trained, but worse than the first stage alone).
 */
export const DEMO_RERANKER_STATES = [
  'waiting',
  'training',
  'evaluating',
  'loading',
  'ready',
  'held back',
  'failed',
] as const;
export type DemoRerankerState = (typeof DEMO_RERANKER_STATES)[number];

/** What /v1/info reports about the demo's reranker. */
export interface DemoRerankerStatus {
  id: string;
  state: DemoRerankerState;
  /** Optimizer steps done and the most the run will take (early stopping can end it sooner). */
  step?: number;
  steps?: number;
  /** The last step's training loss. */
  loss?: number;
  /** Seconds since this start's work began, or that it took once finished. */
  seconds: number;
  evaluation?: DemoEvaluation;
  /** Why training, evaluation or loading failed. */
  error?: string;
}

export interface DemoRerankerOptions {
  home: string;
  /** Most optimizer steps (undefined: the preset's whole run). */
  maxSteps: number | undefined;
  /** The training thread's scheduling priority (nice, 0–19). */
  nice: number;
  evaluation: DemoEvaluationSetup;
  /** Opens the trained ranker in every ranker worker (RankerReadiness's load). */
  load: (id: string) => Promise<unknown>;
  log: (line: string) => void;
}

/** The model is worth serving by default only if it does not lose to the first stage it reranks. */
export function rerankerHelps(evaluation: DemoEvaluation): boolean {
  return evaluation.reranked.ndcg10 >= evaluation.firstStage.ndcg10;
}

/** The stored decision: the evaluation of the model created at `createdAt`. */
interface StoredDecision {
  model: string;
  createdAt: string;
  evaluation: DemoEvaluation;
}

export class DemoReranker {
  private state: DemoRerankerState;
  private started = Date.now();
  private finished: number | undefined;
  private progress: { step: number; steps: number; loss: number } | undefined;
  private evaluation: DemoEvaluation | undefined;
  private error: SiftError | undefined;
  private worker: Worker | undefined;
  private readonly stop = new SharedArrayBuffer(4);
  private closing = false;
  private run: Promise<void> | undefined;
  private readonly installed: boolean;
  private readonly decisionFile: string;

  constructor(private readonly options: DemoRerankerOptions) {
    this.installed = installedTrainedModel(DEMO_RERANKER_ID, options.home) !== undefined;
    this.decisionFile = join(options.evaluation.reportsDir, '.demo-reranker.json');
    this.evaluation = this.installed ? this.storedEvaluation() : undefined;
    this.state = this.evaluation ? (rerankerHelps(this.evaluation) ? 'loading' : 'held back') : 'waiting';
  }

  /** True when the installed model was measured before and is the default: load it before anything else. */
  get loadsFirst(): boolean {
    return this.evaluation !== undefined && rerankerHelps(this.evaluation);
  }

  /**
   * Trains (unless installed) and measures (unless measured before) the model, then loads it as the default
   * where it helps. Call once the service is ready, so that the work never slows the start. Resolves when
   * the model is ready, held back or has failed; never rejects: `status()` says which.
   */
  start(): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.run ??= (async () => {
      this.started = Date.now();
      try {
        if (!this.evaluation) {
          this.state = this.installed ? 'evaluating' : 'training';
          if (!this.installed) {
            this.options.log(
              `demo reranker ${DEMO_RERANKER_ID}: training from the committed job labels in the background`,
            );
          }
          this.evaluation = await this.trainAndEvaluate();
          await this.storeEvaluation(this.evaluation);
        }
        const { firstStage, reranked, queries } = this.evaluation;
        const numbers = `NDCG@10 ${reranked.ndcg10.toFixed(3)} reranked against ${firstStage.ndcg10.toFixed(3)} for ${firstStage.run} alone on ${queries} judged test queries`;
        if (!rerankerHelps(this.evaluation)) {
          this.state = 'held back';
          this.finished = Date.now();
          this.options.log(
            `demo reranker ${DEMO_RERANKER_ID}: held back (${numbers}); "default" keeps its ranker`,
          );
          return;
        }
        this.state = 'loading';
        await this.options.load(DEMO_RERANKER_ID);
        this.state = 'ready';
        this.finished = Date.now();
        this.options.log(`demo reranker ${DEMO_RERANKER_ID}: ready (${numbers}); "default" names it now`);
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
      ...(this.evaluation ? { evaluation: this.evaluation } : {}),
      ...(this.error ? { error: this.error.message } : {}),
    };
  }

  /**
   * Stops the work under way at its next safe point (training's last checkpoint stays for the next start)
   * and waits for the thread to end; one that does not end within a minute is terminated.
   */
  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    if (!worker) return;
    Atomics.store(new Int32Array(this.stop), 0, 1);
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), STOP_GRACE_MS);
    });
    if ((await Promise.race([exited, late])) === 'late') await worker.terminate();
    clearTimeout(timer);
  }

  private trainAndEvaluate(): Promise<DemoEvaluation> {
    const workerData: DemoTrainWorkerData = {
      home: this.options.home,
      train: !this.installed,
      maxSteps: this.options.maxSteps,
      nice: this.options.nice,
      id: DEMO_RERANKER_ID,
      evaluation: this.options.evaluation,
      stop: this.stop,
    };
    const worker = new Worker(new URL('./demo-train-worker.js', import.meta.url), { workerData });
    this.worker = worker;
    return new Promise<DemoEvaluation>((resolve, reject) => {
      let settled = false;
      const fail = (error: SiftError) => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      worker.on('message', (message: DemoTrainMessage) => {
        if (message.type === 'step') {
          this.progress = { step: message.step, steps: message.steps, loss: message.loss };
        } else if (message.type === 'trained') {
          this.state = 'evaluating';
          const dev =
            message.bestDevNdcg10 === undefined ? '' : `, dev nDCG@10 ${message.bestDevNdcg10.toFixed(3)}`;
          this.options.log(`demo reranker ${DEMO_RERANKER_ID}: trained in ${message.steps} steps${dev}`);
        } else if (message.type === 'evaluated') {
          settled = true;
          resolve(message.evaluation);
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

  /** The stored evaluation, if it is of the model installed now. */
  private storedEvaluation(): DemoEvaluation | undefined {
    if (!existsSync(this.decisionFile)) return undefined;
    try {
      const stored = JSON.parse(readFileSync(this.decisionFile, 'utf8')) as StoredDecision;
      const card = JSON.parse(
        readFileSync(join(installedTrainedModel(DEMO_RERANKER_ID, this.options.home)!, MODEL_CARD), 'utf8'),
      ) as { createdAt?: string };
      return stored.model === DEMO_RERANKER_ID && stored.createdAt === card.createdAt
        ? stored.evaluation
        : undefined;
    } catch {
      // Unreadable: measured again.
      return undefined;
    }
  }

  private async storeEvaluation(evaluation: DemoEvaluation): Promise<void> {
    const card = await readTrainedModel(DEMO_RERANKER_ID, this.options.home);
    const decision: StoredDecision = {
      model: DEMO_RERANKER_ID,
      createdAt: card?.createdAt ?? '',
      evaluation,
    };
    await writeFileAtomic(this.decisionFile, `${JSON.stringify(decision, null, 2)}\n`);
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
