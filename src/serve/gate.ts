// A concurrency gate with a bounded, first-come waiting line: at most `limit` holders at once, at most
// `maxWaiting` waiting; one more is refused at once with the gate's error code, and a waiter whose
// request aborts leaves the line without ever holding the gate. Waiters of `low` priority (reranked
// searches, which have a latency budget of their own) are admitted only when no `high` one waits.

import { type ErrorCode, SiftError } from '../errors.js';

export interface GateOptions {
  name: string;
  limit: number;
  maxWaiting: number;
  /** Code of the refusal when the line is full: E_TOO_MANY_REQUESTS (429) or E_OVERLOADED (503). */
  refusal: ErrorCode;
}

export type Release = () => void;

/** `high`: latency-sensitive (plain searches); `low`: deferrable (the first stage of reranked searches). */
export type Priority = 'high' | 'low';

export class ConcurrencyGate {
  private holders = 0;
  private readonly line: Array<() => void> = [];
  private readonly lowLine: Array<() => void> = [];

  constructor(private readonly options: GateOptions) {}

  get waiting(): number {
    return this.line.length + this.lowLine.length;
  }

  get active(): number {
    return this.holders;
  }

  /** True when one more acquire would be refused at once. */
  get saturated(): boolean {
    return this.holders >= this.options.limit && this.waiting >= this.options.maxWaiting;
  }

  acquire(signal?: AbortSignal, priority: Priority = 'high'): Promise<Release> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.holders < this.options.limit) {
      this.holders++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting >= this.options.maxWaiting) {
      return Promise.reject(
        new SiftError(
          this.options.refusal,
          `${this.options.name}: ${this.options.limit} in progress and ${this.options.maxWaiting} waiting`,
          { queue: this.options.name },
        ),
      );
    }
    const line = priority === 'high' ? this.line : this.lowLine;
    return new Promise<Release>((resolve, reject) => {
      const onAbort = () => {
        const at = line.indexOf(admit);
        if (at >= 0) line.splice(at, 1);
        reject(abortReason(signal!));
      };
      const admit = () => {
        signal?.removeEventListener('abort', onAbort);
        this.holders++;
        resolve(this.releaser());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      line.push(admit);
    });
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders--;
      (this.line.shift() ?? this.lowLine.shift())?.();
    };
  }
}

/** The error a request's abort signal carries, or E_CANCELLED when it carries none of ours. */
export function abortReason(signal: AbortSignal): SiftError {
  const reason: unknown = signal.reason;
  if (reason instanceof SiftError) return reason;
  return new SiftError('E_CANCELLED', 'the request was cancelled');
}

/** Settles as `promise` does, or rejects with the signal's reason as soon as it aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** A request's limits: its abort signal, its deadline and when it arrived (epoch ms). */
export interface RequestLimits {
  signal: AbortSignal;
  deadline: number;
  startedAt: number;
}
