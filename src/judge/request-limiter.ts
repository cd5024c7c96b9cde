// Limits on calls to a remote judge: at most `maxConcurrency` in flight, starts spaced to at most
// `requestsPerSecond`, and a shared pause when the server says to back off (429 with Retry-After),
// so that every worker waits rather than each discovering the limit on its own.

import { setTimeout as sleep } from 'node:timers/promises';

export interface RequestLimits {
  /** Calls in flight at once. Default unlimited. */
  maxConcurrency?: number;
  /** Call starts per second, spread evenly. Default unlimited. */
  requestsPerSecond?: number;
}

/** Time as the limiter sees it; tests pass a virtual clock so spacing is checked without timing. */
export interface LimiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const wallClock: LimiterClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : {}),
};

export class RequestLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private nextStartAt = 0;
  private pausedUntil = 0;

  constructor(
    private readonly limits: RequestLimits = {},
    private readonly clock: LimiterClock = wallClock,
  ) {}

  /** Waits for a slot; call the returned function when the request is done. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    const max = this.limits.maxConcurrency ?? Number.POSITIVE_INFINITY;
    while (this.active >= max) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const at = this.waiting.indexOf(wake);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(signal?.reason);
        };
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        if (signal?.aborted) return reject(signal.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiting.push(wake);
      });
    }
    this.active++;
    try {
      await this.waitForStart(signal);
    } catch (error) {
      this.release();
      throw error;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  /** Holds every start until now + `ms` (a server's Retry-After). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }

  private async waitForStart(signal?: AbortSignal): Promise<void> {
    const rate = this.limits.requestsPerSecond;
    // Reserve a start time synchronously so concurrent callers get distinct, evenly spaced slots.
    let at = this.clock.now();
    if (rate !== undefined && rate > 0) {
      at = Math.max(at, this.nextStartAt);
      this.nextStartAt = at + 1000 / rate;
    }
    for (;;) {
      const wait = Math.max(at, this.pausedUntil) - this.clock.now();
      if (wait <= 0) return;
      await this.clock.sleep(wait, signal);
    }
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}
