// Loading a `sift serve` process over loopback, for the serving benches: start it as its own process,
// drive it with autocannon for a bounded time and request count, sample its resident memory from /proc.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/**
 * The checkout whose `bin/sift` serves: this one, or SIFT_BENCH_SERVER_ROOT (another commit's built
 * checkout), so that a change's before and after are measured by the same bench, one run after the other.
 */
const SERVER_ROOT = process.env.SIFT_BENCH_SERVER_ROOT ?? ROOT;

/** The serving checkout and its commit, for the result file. */
export function serverCheckout(): { root: string; commit: string } {
  try {
    const commit = execFileSync('git', ['-C', SERVER_ROOT, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
    }).trim();
    return { root: SERVER_ROOT, commit };
  } catch {
    return { root: SERVER_ROOT, commit: 'unknown' };
  }
}

export interface LoadLimits {
  /** Seconds per run. */
  seconds: number;
  /** Most requests per run (autocannon's own `amount` would override `duration`, so it is enforced here). */
  maxRequests: number;
}

export interface Server {
  child: ChildProcess;
  url: string;
}

/**
 * Starts `sift serve` on loopback with `args` after `serve --host 127.0.0.1 --port 0`, caches and the demo
 * reranker's training off unless `env` says otherwise, and resolves once it reports ready (its rankers built).
 */
export async function startServer(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Server & { readySeconds: number }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [join(SERVER_ROOT, 'bin', 'sift'), 'serve', '--host', '127.0.0.1', '--port', '0', ...args],
    {
      // The demo reranker's background training would share the cores with the load being measured.
      env: { ...process.env, SIFT_SERVE_CACHE_ENTRIES: '0', SIFT_SERVE_DEMO_TRAIN: 'off', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let url: string | undefined;
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      url ??= /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
      if (url && /sift serve: ready/.test(out)) resolve(url);
    });
    child.once('exit', (code) => reject(new Error(`sift serve exited (${code}) before it was ready`)));
  });
  return { child, url, readySeconds: (performance.now() - started) / 1000 };
}

export async function stopServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.child.once('exit', () => resolve());
    server.child.kill('SIGTERM');
  });
}

/** VmRSS and VmHWM (peak) of a process, in MiB, from /proc. */
export function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  statuses: Record<string, number>;
  retryAfterMissing: number;
  maxRssMiB: number;
  /** Rerank depths the responses reported (reranked searches only). */
  depths: number[];
  /** p99 latency of the 200 answers and of the refused ones (429/503), ms; NaN when there were none. */
  p99Answered: number;
  p99Refused: number;
  /**
   * The load generator's own event-loop delay during the run, ms (p99 and max): it shares the machine
   * with the server, and a response it reads late is counted late.
   */
  clientLoopDelay: { p99: number; max: number };
}

/** The q-quantile of `values` (nearest rank), NaN for none. */
function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** Runs `connections` autocannon clients POSTing /v1/search bodies made from `texts`, round robin. */
export async function load(
  server: Server,
  body: (query: string) => Record<string, unknown>,
  connections: number,
  texts: string[],
  limits: LoadLimits,
): Promise<LoadResult> {
  let next = 0;
  const statuses: Record<string, number> = {};
  const depths: number[] = [];
  let retryAfterMissing = 0;
  let maxRss = 0;
  const clientDelay = monitorEventLoopDelay({ resolution: 5 });
  clientDelay.enable();
  const sampler = setInterval(() => {
    maxRss = Math.max(maxRss, memory(server.child.pid!).rss);
  }, 100);
  let answered = 0;
  // Each connection has one request in flight: its context holds when that request was sent.
  const answeredMs: number[] = [];
  const refusedMs: number[] = [];
  let instance: autocannon.Instance | undefined;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: server.url,
        connections,
        duration: limits.seconds,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            path: '/v1/search',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request, context: { sentAt?: number }) => {
              context.sentAt = performance.now();
              return { ...request, body: JSON.stringify(body(texts[next++ % texts.length]!)) };
            },
            onResponse: (
              status: number,
              body: string,
              context: { sentAt?: number },
              headers?: Record<string, string>,
            ) => {
              statuses[status] = (statuses[status] ?? 0) + 1;
              if (context.sentAt !== undefined) {
                const ms = performance.now() - context.sentAt;
                if (status === 200) answeredMs.push(ms);
                else if (status === 429 || status === 503) refusedMs.push(ms);
              }
              if (status === 200 && body.includes('"rerank":{')) {
                const depth = (JSON.parse(body) as { rerank?: { depth: number } }).rerank?.depth;
                if (depth !== undefined) depths.push(depth);
              }
              if ((status === 429 || status === 503) && !headers?.['retry-after']) retryAfterMissing++;
              if (++answered === limits.maxRequests) instance?.stop();
            },
          } as autocannon.Request,
        ],
      },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    );
  });
  clearInterval(sampler);
  clientDelay.disable();
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    statuses,
    retryAfterMissing,
    maxRssMiB: Math.max(maxRss, memory(server.child.pid!).rss),
    depths,
    p99Answered: Math.round(quantile(answeredMs, 0.99)),
    p99Refused: Math.round(quantile(refusedMs, 0.99)),
    clientLoopDelay: {
      p99: Math.round(clientDelay.percentile(99) / 1e6),
      max: Math.round(clientDelay.max / 1e6),
    },
  };
}
