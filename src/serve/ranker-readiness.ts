// Which rankers are ready to score. A ranker is named by the request ("default", "<id>", "<id>:int8"),
// resolved on the HTTP thread to its canonical id (an unknown one is 404 before any queue), and used only
// once every ranker worker has opened it: until then the request is refused at once with 503
// E_RANKER_NOT_READY and Retry-After, never left to time out behind a model being pulled and built.
// Asking for a ranker that was not loaded starts loading it; the configured ones load at start.

import { SiftError } from '../errors.js';

export type RankerState = 'not loaded' | 'loading' | 'ready' | 'failed';

export interface RankerStatus {
  id: string;
  state: RankerState;
  /** Seconds the load took (ready) or has taken so far (loading). */
  seconds?: number;
  /** Why the last load failed. */
  error?: string;
}

export interface RankerReadinessOptions {
  /** Canonical id of a ranker reference; throws E_RANKER_UNKNOWN for unknown ones. */
  resolve: (ref: string) => string;
  /** Ranker ids to list (canonical or not). */
  list: () => string[];
  /** Opens the ranker in every worker. */
  load: (id: string) => Promise<unknown>;
  log: (line: string) => void;
  /** Retry-After for a ranker still loading, seconds. */
  retryAfterSeconds: number;
  /** A failed load is retried when asked for again after this long, ms. Default 30 s. */
  retryFailedMs?: number;
}

interface Entry {
  state: 'loading' | 'ready' | 'failed';
  started: number;
  finished?: number;
  error?: SiftError;
  done: Promise<void>;
}

export class RankerReadiness {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: RankerReadinessOptions) {}

  /** The canonical id of `ref`; E_RANKER_UNKNOWN when no such ranker exists. */
  resolve(ref: string): string {
    return this.options.resolve(ref);
  }

  /**
   * The canonical id of a ranker ready to score. Otherwise throws: E_RANKER_UNKNOWN (404), the load's
   * own error when it failed recently (e.g. E_MODEL_MISSING, 503), or E_RANKER_NOT_READY (503, with a
   * Retry-After) while it loads, starting the load when nothing had asked for it yet.
   */
  require(ref: string): string {
    const id = this.resolve(ref);
    let entry = this.entries.get(id);
    const retryFailedMs = this.options.retryFailedMs ?? 30_000;
    if (entry?.state === 'ready') return id;
    if (entry?.state === 'failed' && Date.now() - (entry.finished ?? 0) < retryFailedMs) {
      throw entry.error!;
    }
    if (!entry || entry.state === 'failed') entry = this.start(id);
    const seconds = Math.round((Date.now() - entry.started) / 1000);
    throw new SiftError(
      'E_RANKER_NOT_READY',
      `ranker "${id}" is not ready: its model is being pulled and built (${seconds} s so far); retry shortly`,
      { field: 'ranker', ranker: id, retryAfterSeconds: this.options.retryAfterSeconds },
    );
  }

  /** Loads the given rankers (in turn: they share the cores), resolving when each is ready or failed. */
  async prepare(refs: readonly string[]): Promise<void> {
    for (const ref of refs) {
      const id = this.resolve(ref);
      const entry = this.entries.get(id) ?? this.start(id);
      await entry.done;
    }
  }

  /** Loads one ranker (unless it is loaded or loading); its canonical id once ready, or the load's error. */
  async ensure(ref: string): Promise<string> {
    const id = this.resolve(ref);
    let entry = this.entries.get(id);
    if (!entry || entry.state === 'failed') entry = this.start(id);
    await entry.done;
    if (entry.state === 'failed') throw entry.error!;
    return id;
  }

  /** True when every ranker that was asked for is ready. */
  get allReady(): boolean {
    return [...this.entries.values()].every((entry) => entry.state === 'ready');
  }

  /** Every known ranker (canonical ids, each once) and every one asked for, with its state. */
  list(): RankerStatus[] {
    const ids = new Set<string>();
    for (const ref of this.options.list()) {
      try {
        ids.add(this.resolve(ref));
      } catch {
        ids.add(ref);
      }
    }
    for (const id of this.entries.keys()) ids.add(id);
    return [...ids].map((id) => {
      const entry = this.entries.get(id);
      if (!entry) return { id, state: 'not loaded' as const };
      const seconds = ((entry.finished ?? Date.now()) - entry.started) / 1000;
      return {
        id,
        state: entry.state,
        seconds: Math.round(seconds * 10) / 10,
        ...(entry.error ? { error: entry.error.message } : {}),
      };
    });
  }

  private start(id: string): Entry {
    const entry: Entry = { state: 'loading', started: Date.now(), done: Promise.resolve() };
    this.options.log(`ranker ${id}: pulling and building its model…`);
    entry.done = this.options.load(id).then(
      () => {
        entry.state = 'ready';
        entry.finished = Date.now();
        this.options.log(`ranker ${id}: ready (${((entry.finished - entry.started) / 1000).toFixed(1)} s)`);
      },
      (error: unknown) => {
        entry.state = 'failed';
        entry.finished = Date.now();
        entry.error =
          error instanceof SiftError
            ? error
            : new SiftError('E_INTERNAL', `loading ranker "${id}" failed: ${String(error)}`);
        this.options.log(`ranker ${id}: failed: ${entry.error.message}`);
      },
    );
    this.entries.set(id, entry);
    return entry;
  }
}
