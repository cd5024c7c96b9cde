// Question: how much search traffic does `sift serve` take on this machine, at what latency, and does
// it shed overload with 429/503 + Retry-After while its memory stays bounded?
//
// The service runs as its own process (`bin/sift serve`, default settings, over the synthetic job corpus
// of 5,000 postings, built on first run) and autocannon loads it over loopback from this process:
// bm25 and the heaviest mode available (hybrid, plus a reranker when sift has one) at 1, 8 and 64
// concurrent clients, each run bounded in time and request count. Caches are off
// (SIFT_SERVE_CACHE_ENTRIES=0), so every dense/hybrid request embeds its query in the model worker.
// The overload run opens far more connections than the admission limit plus its waiting line.
// Resident memory of the server is sampled from /proc every 100 ms; peak RSS is VmHWM.
//
//   node --expose-gc dist/bench/serve.js [--docs 5000] [--seconds 8] [--overload-connections 1000]

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { listRankers } from '../src/rank/index.js';
import { siftPaths } from '../src/util/paths.js';
import { printTable, writeResult } from './lib/report.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const DOCS = option('docs', 5000);
const SECONDS = option('seconds', 8);
const OVERLOAD_CONNECTIONS = option('overload-connections', 1000);
const MAX_REQUESTS = 50_000;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Server {
  child: ChildProcess;
  url: string;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'sift'), 'serve', '--port', '0', '--demo-docs', String(DOCS)],
    {
      env: { ...process.env, SIFT_SERVE_CACHE_ENTRIES: '0', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /(http:\/\/\S+\/)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`sift serve exited (${code}) before listening`)));
  });
  return { child, url };
}

async function stopServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.child.once('exit', () => resolve());
    server.child.kill('SIGTERM');
  });
}

/** VmRSS and VmHWM (peak) of a process, in MiB, from /proc. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

function queries(): string[] {
  const file = join(siftPaths().home, 'collections', `jobs-2026-${DOCS}`, 'queries.jsonl');
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { text: string }).text);
}

interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  statuses: Record<string, number>;
  retryAfterMissing: number;
  maxRssMiB: number;
}

async function load(
  server: Server,
  body: (query: string) => Record<string, unknown>,
  connections: number,
  texts: string[],
): Promise<LoadResult> {
  let next = 0;
  const statuses: Record<string, number> = {};
  let retryAfterMissing = 0;
  let maxRss = 0;
  const sampler = setInterval(() => {
    maxRss = Math.max(maxRss, memory(server.child.pid!).rss);
  }, 100);
  // autocannon's `amount` would override `duration`, so the request cap is enforced here instead.
  let answered = 0;
  let instance: autocannon.Instance | undefined;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: server.url,
        connections,
        duration: SECONDS,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            path: '/v1/search',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify(body(texts[next++ % texts.length]!)),
            }),
            onResponse: (
              status: number,
              _body: string,
              _context: unknown,
              headers?: Record<string, string>,
            ) => {
              statuses[status] = (statuses[status] ?? 0) + 1;
              if ((status === 429 || status === 503) && !headers?.['retry-after']) retryAfterMissing++;
              if (++answered === MAX_REQUESTS) instance?.stop();
            },
          } as autocannon.Request,
        ],
      },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    );
  });
  clearInterval(sampler);
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    statuses,
    retryAfterMissing,
    maxRssMiB: Math.max(maxRss, memory(server.child.pid!).rss),
  };
}

async function main(): Promise<void> {
  // The machine may be shared: its load average before and after says how much the numbers can be trusted.
  const loadBefore = loadavg();
  console.log(`starting sift serve over jobs-2026-${DOCS} (first run builds and embeds the corpus)…`);
  const server = await startServer({});
  const texts = queries();
  const rankers = listRankers();
  const modes: Array<{ name: string; body: (query: string) => Record<string, unknown> }> = [
    { name: 'bm25', body: (query) => ({ query, k: 10, mode: 'bm25' }) },
    { name: 'hybrid', body: (query) => ({ query, k: 10, mode: 'hybrid' }) },
  ];
  if (rankers.length > 0) {
    modes.push({
      name: 'hybrid+rerank(default)',
      body: (query) => ({ query, k: 10, mode: 'hybrid', rerank: 'default', rerankDepth: 20 }),
    });
  }
  // One short warm-up so that JIT and first-touch costs do not land in the first measured run.
  await load(server, modes[1]!.body, 4, texts.slice(0, 20));

  const rows: Array<Record<string, string | number>> = [];
  for (const mode of modes) {
    for (const connections of [1, 8, 64]) {
      const result = await load(server, mode.body, connections, texts);
      const row = {
        mode: mode.name,
        clients: connections,
        'req/s': Math.round(result.requestsPerSecond),
        'p50 ms': result.p50,
        'p99 ms': result.p99,
        requests: result.requests,
        'non-200': result.requests - (result.statuses['200'] ?? 0),
        'max RSS MiB': Math.round(result.maxRssMiB),
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  const before = memory(server.child.pid!);
  const heaviest = modes[modes.length - 1]!;
  console.log(`\noverload: ${OVERLOAD_CONNECTIONS} connections of ${heaviest.name} for ${SECONDS} s…`);
  const overload = await load(server, heaviest.body, OVERLOAD_CONNECTIONS, texts);
  const after = memory(server.child.pid!);
  const health = await fetch(new URL('/healthz', server.url));
  await stopServer(server);

  console.log(
    `\nsift serve on loopback, default settings, caches off, ${SECONDS} s per run (≤ ${MAX_REQUESTS} requests)`,
  );
  printTable(rows, 1);
  const overloadRow = {
    mode: heaviest.name,
    clients: OVERLOAD_CONNECTIONS,
    requests: overload.requests,
    '200': overload.statuses['200'] ?? 0,
    '429': overload.statuses['429'] ?? 0,
    '503': overload.statuses['503'] ?? 0,
    'shed without Retry-After': overload.retryAfterMissing,
    'p99 ms': overload.p99,
    'RSS before MiB': Math.round(before.rss),
    'max RSS during MiB': Math.round(overload.maxRssMiB),
    'peak RSS (VmHWM) MiB': Math.round(after.peak),
  };
  console.log('\noverload');
  printTable([overloadRow], 1);
  console.log(
    `healthz after overload: ${health.status}; 1-minute load average ${loadBefore[0]?.toFixed(1)} before, ${loadavg()[0]?.toFixed(1)} after`,
  );
  writeResult('serve', {
    question: 'sift serve throughput and latency on loopback; load shedding and memory under overload',
    settings: {
      docs: DOCS,
      secondsPerRun: SECONDS,
      maxRequestsPerRun: MAX_REQUESTS,
      server:
        'bin/sift serve defaults (1 model worker, maxBatch 32, maxWaitMs 2, maxInFlight 64, maxWaiting 256), SIFT_SERVE_CACHE_ENTRIES=0',
      client: 'autocannon in the bench process; the server in its own process on the same machine',
      queries: `the corpus's ${texts.length} queries, round robin`,
      loadAverage1m: { before: loadBefore[0], after: loadavg()[0] },
    },
    rows,
    overload: { ...overloadRow, statuses: overload.statuses, healthzAfter: health.status },
  });
}

await main();
