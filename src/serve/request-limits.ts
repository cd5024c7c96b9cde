// Per-request limits and admission: a deadline and client-disconnect signal for each request, and the
// admission slot its work holds (the wait for it reported as the "queue" timing).

import type { FastifyReply, FastifyRequest } from 'fastify';
import { SiftError } from '../errors.js';
import type { TimedRequest } from './app-context.js';
import type { ServeConfig } from './config.js';
import type { ConcurrencyGate, RequestLimits } from './gate.js';
import type { ServeMetrics } from './metrics.js';

/** The request's limits: a signal aborted when the client disconnects or the deadline passes. */
export function requestLimits(
  request: FastifyRequest,
  reply: FastifyReply,
  config: ServeConfig,
  metrics: ServeMetrics,
): RequestLimits {
  const startedAt =
    Date.now() - (performance.now() - ((request as TimedRequest).startedAt ?? performance.now()));
  const controller = new AbortController();
  const timer = setTimeout(() => {
    metrics.cancelled.inc({ reason: 'timeout' });
    controller.abort(new SiftError('E_TIMEOUT', `no answer within ${config.requestTimeoutMs} ms`));
  }, config.requestTimeoutMs);
  reply.raw.once('close', () => {
    clearTimeout(timer);
    // 'close' before the response finished: the client went away mid-request.
    if (!reply.raw.writableFinished && !controller.signal.aborted) {
      metrics.cancelled.inc({ reason: 'client' });
      controller.abort(new SiftError('E_CANCELLED', 'the client disconnected'));
    }
  });
  return { signal: controller.signal, deadline: startedAt + config.requestTimeoutMs, startedAt };
}

/** Holds an admission slot for the work; the time spent waiting for it is reported as "queue". */
export async function admitted<T extends { timings: Record<string, number> }>(
  gate: ConcurrencyGate,
  signal: AbortSignal,
  work: () => Promise<T>,
  /** Most ms to wait for a slot (what a reranked search's budget can spare); past it, 429. */
  maxWaitMs?: number,
): Promise<T> {
  const waitStarted = performance.now();
  const release = await gate.acquire(maxWaitMs === undefined ? signal : boundedWait(signal, maxWaitMs));
  const queueMs = performance.now() - waitStarted;
  try {
    const result = await work();
    return { ...result, timings: { queue: queueMs, ...result.timings } };
  } finally {
    release();
  }
}

/**
 * A signal that aborts with the request's, or with E_TOO_MANY_REQUESTS after `ms`: a wait for a ranking
 * slot that would leave the request unable to answer within its budget is refused instead.
 */
function boundedWait(signal: AbortSignal, ms: number): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new SiftError(
          'E_TOO_MANY_REQUESTS',
          `every ranking slot stayed busy for ${Math.round(ms)} ms, as long as this search could wait and still answer within its budget`,
          { queue: 'rank admission' },
        ),
      ),
    ms,
  );
  const onAbort = () => {
    clearTimeout(timer);
    controller.abort(signal.reason);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  controller.signal.addEventListener('abort', () => signal.removeEventListener('abort', onAbort), {
    once: true,
  });
  return controller.signal;
}
