// Question: how much search traffic does `sift serve` take on this machine, at what latency; does
// reranking with a real model stay inside its latency budget at every load, with a depth that falls as
// load rises; does a flood of reranked searches leave plain hybrid search its throughput; and does it
// shed overload with 429/503 + Retry-After while its memory stays bounded?
//
// The service runs as its own process (`bin/sift serve` on 127.0.0.1, default settings, so the default
// ranker is built at start, over the synthetic job corpus, built on first run) and autocannon loads it
// over loopback from this process: bm25, hybrid and hybrid + the default reranker (adaptive depth) at
// 1, 8 and 64 concurrent clients, each run bounded in time and request count. Caches are off
// (SIFT_SERVE_CACHE_ENTRIES=0), so every dense/hybrid request embeds its query and every reranked one
// scores its candidates. Then the flood: 64 clients of reranked searches and, at the same time, 8
// clients of plain hybrid, whose throughput is compared with the unloaded 8-client run; after it, one
// plain hybrid request is timed. The overload run opens far more connections than the admission limit
// plus its waiting line. Resident memory of the server is sampled from /proc every 100 ms.
//
//   node dist/bench/serve.js [--docs 5000] [--seconds 8] [--overload-connections 1000] [--budget-ms N] [--name F]
//
// --budget-ms sets the server's rerank budget (default: the service's own) and names the result file
// serve-budget-<N>.json. The server inherits this process's environment, so SIFT_SERVE_RANK_NICE=0 runs
// it with the ranker workers at the same priority as plain search (the baseline for --rank-nice), and
// SIFT_BENCH_SERVER_ROOT=<another built checkout> serves from that commit (a change's before, one run
// before its after).

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { siftPaths } from '../src/util/index.js';
import { printTable, stringArg, writeResult } from './lib/report.js';
import {
  type LoadResult,
  load as loadRun,
  memory,
  type Server,
  serverCheckout,
  startServer,
  stopServer,
} from './lib/serve-load.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const DOCS = option('docs', 5000);
const SECONDS = option('seconds', 8);
const OVERLOAD_CONNECTIONS = option('overload-connections', 1000);
const BUDGET_MS = option('budget-ms', 0);
const MAX_REQUESTS = 50_000;
const load = (
  server: Server,
  body: (query: string) => Record<string, unknown>,
  connections: number,
  texts: string[],
): Promise<LoadResult> =>
  loadRun(server, body, connections, texts, { seconds: SECONDS, maxRequests: MAX_REQUESTS });

function queries(): string[] {
  const file = join(siftPaths().home, 'collections', `jobs-2026-${DOCS}`, 'queries.jsonl');
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { text: string }).text);
}

const mean = (values: readonly number[]) =>
  values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;

async function main(): Promise<void> {
  // The machine may be shared: its load average before and after says how much the numbers can be trusted.
  const loadBefore = loadavg();
  console.log(`starting sift serve over jobs-2026-${DOCS} (first run builds and embeds the corpus)…`);
  const server = await startServer(
    ['--demo-docs', String(DOCS)],
    BUDGET_MS > 0 ? { SIFT_SERVE_RERANK_BUDGET_MS: String(BUDGET_MS) } : {},
  );
  const info = (await (await fetch(new URL('/v1/info', server.url))).json()) as {
    defaultRanker: string | null;
    rerank: { budgetMs: number; depthFloor: number; depthCeiling: number; nice?: number };
  };
  const budgetMs = info.rerank.budgetMs;
  console.log(
    `ready in ${server.readySeconds.toFixed(1)} s; reranking with ${info.defaultRanker}, budget ${budgetMs} ms, ranker workers at nice ${info.rerank.nice ?? '?'}`,
  );
  const texts = queries();
  const bm25 = { name: 'bm25', body: (query: string) => ({ query, k: 10, mode: 'bm25' }) };
  const hybrid = { name: 'hybrid', body: (query: string) => ({ query, k: 10, mode: 'hybrid' }) };
  const reranked = {
    name: `hybrid+rerank(${info.defaultRanker})`,
    body: (query: string) => ({ query, k: 10, mode: 'hybrid', rerank: 'default' }),
  };
  const modes = [bm25, hybrid, reranked];
  // One short warm-up per mode, so that JIT, first-touch costs and the ranker's first measurement do not
  // land in the first measured run.
  for (const mode of modes) await load(server, mode.body, 2, texts.slice(0, 20));

  const rows: Array<Record<string, string | number>> = [];
  const results = new Map<string, LoadResult>();
  for (const mode of modes) {
    for (const connections of [1, 8, 64]) {
      const result = await load(server, mode.body, connections, texts);
      results.set(`${mode.name}/${connections}`, result);
      const row = {
        mode: mode.name,
        clients: connections,
        'req/s': Math.round(result.requestsPerSecond * 10) / 10,
        'p50 ms': result.p50,
        'p99 ms': result.p99,
        'p99 200s / refused ms': `${result.p99Answered} / ${Number.isNaN(result.p99Refused) ? '–' : result.p99Refused}`,
        'client loop delay p99 / max ms': `${result.clientLoopDelay.p99} / ${result.clientLoopDelay.max}`,
        requests: result.requests,
        'non-200': result.requests - (result.statuses['200'] ?? 0),
        'mean depth': mode === reranked ? Math.round(mean(result.depths) * 10) / 10 : '–',
        'max RSS MiB': Math.round(result.maxRssMiB),
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }

  // The flood: reranked searches at 64 clients and, beside them, plain hybrid at 8.
  console.log(`\nflood: 64 clients of ${reranked.name} with 8 clients of hybrid, ${SECONDS} s…`);
  const [flood, besideFlood] = await Promise.all([
    load(server, reranked.body, 64, texts),
    load(server, hybrid.body, 8, texts.slice().reverse()),
  ]);
  const afterStarted = performance.now();
  const after = await fetch(new URL('/v1/search', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(hybrid.body('first plain request after the flood')),
  });
  const afterMs = performance.now() - afterStarted;
  const unloaded = results.get('hybrid/8')!;
  const floodRow = {
    'hybrid req/s unloaded (8 clients)': Math.round(unloaded.requestsPerSecond * 10) / 10,
    'hybrid req/s during flood': Math.round(besideFlood.requestsPerSecond * 10) / 10,
    'share kept': `${Math.round((100 * besideFlood.requestsPerSecond) / unloaded.requestsPerSecond)}%`,
    'hybrid 503s': besideFlood.statuses['503'] ?? 0,
    'hybrid non-200': besideFlood.requests - (besideFlood.statuses['200'] ?? 0),
    'hybrid p99 ms': besideFlood.p99,
    'rerank p99 ms': flood.p99,
    'rerank p99 200s / refused ms': `${flood.p99Answered} / ${flood.p99Refused}`,
    'client loop delay p99 / max ms': `${flood.clientLoopDelay.p99} / ${flood.clientLoopDelay.max}`,
    'rerank mean depth': Math.round(mean(flood.depths) * 10) / 10,
    'first hybrid after, ms': Math.round(afterMs),
    'its status': after.status,
    'hybrid p50 unloaded (1 client) ms': results.get('hybrid/1')!.p50,
  };

  const before = memory(server.child.pid!);
  console.log(`\noverload: ${OVERLOAD_CONNECTIONS} connections of ${reranked.name} for ${SECONDS} s…`);
  const overload = await load(server, reranked.body, OVERLOAD_CONNECTIONS, texts);
  const afterOverload = memory(server.child.pid!);
  const health = await fetch(new URL('/healthz', server.url));
  await stopServer(server);

  console.log(
    `\nsift serve on loopback, default settings (rerank budget ${budgetMs} ms), caches off, ${SECONDS} s per run (≤ ${MAX_REQUESTS} requests)`,
  );
  printTable(rows, 1);
  console.log('\nflood of reranked searches, plain hybrid beside it');
  printTable([floodRow], 1);
  const overloadRow = {
    mode: reranked.name,
    clients: OVERLOAD_CONNECTIONS,
    requests: overload.requests,
    '200': overload.statuses['200'] ?? 0,
    '429': overload.statuses['429'] ?? 0,
    '503': overload.statuses['503'] ?? 0,
    'shed without Retry-After': overload.retryAfterMissing,
    'p99 ms': overload.p99,
    'p99 200s / refused ms': `${overload.p99Answered} / ${overload.p99Refused}`,
    'client loop delay p99 / max ms': `${overload.clientLoopDelay.p99} / ${overload.clientLoopDelay.max}`,
    'RSS before MiB': Math.round(before.rss),
    'max RSS during MiB': Math.round(overload.maxRssMiB),
    'peak RSS (VmHWM) MiB': Math.round(afterOverload.peak),
  };
  console.log('\noverload');
  printTable([overloadRow], 1);
  console.log(
    `healthz after overload: ${health.status}; ready ${server.readySeconds.toFixed(1)} s after start; 1-minute load average ${loadBefore[0]?.toFixed(1)} before, ${loadavg()[0]?.toFixed(1)} after`,
  );
  writeResult(stringArg('--name', BUDGET_MS > 0 ? `serve-budget-${BUDGET_MS}` : 'serve'), {
    question:
      'sift serve throughput and latency on loopback with a real reranker: budget, adaptive depth, isolation of plain search from a rerank flood, load shedding and memory',
    settings: {
      docs: DOCS,
      secondsPerRun: SECONDS,
      maxRequestsPerRun: MAX_REQUESTS,
      server: `bin/sift serve defaults on 127.0.0.1 (1 embedding worker, 1 ranker worker building ${info.defaultRanker} at start, rerank budget ${budgetMs} ms, depth ${info.rerank.depthFloor}–${info.rerank.depthCeiling}), SIFT_SERVE_CACHE_ENTRIES=0`,
      rankNice: info.rerank.nice ?? null,
      // The commit that served (SIFT_BENCH_SERVER_ROOT runs another checkout's server: a before/after pair).
      serverCommit: serverCheckout().commit,
      client: 'autocannon in the bench process; the server in its own process on the same machine',
      queries: `the corpus's ${texts.length} queries, round robin`,
      readySeconds: server.readySeconds,
      loadAverage1m: { before: loadBefore[0], after: loadavg()[0] },
    },
    rows,
    flood: floodRow,
    overload: { ...overloadRow, statuses: overload.statuses, healthzAfter: health.status },
  });
}

await main();
