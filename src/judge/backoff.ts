// Retry timing for remote judges: exponential backoff with full jitter, and the server's Retry-After.

/** Backoff before retry number `retry` (1-based): uniform in [0, min(maxMs, baseMs · 2^(retry−1))]. */
export function backoffMs(
  retry: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  // Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): clients that failed together
  // spread out instead of retrying in lockstep.
  const ceiling = Math.min(maxMs, baseMs * 2 ** (retry - 1));
  return Math.round(random() * ceiling);
}

/**
 * Milliseconds a response asks the client to wait: `retry-after-ms` (OpenAI, Azure), else `Retry-After`
 * as delay-seconds or an HTTP-date (RFC 9110 §10.2.3). Undefined when absent or unreadable.
 */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
