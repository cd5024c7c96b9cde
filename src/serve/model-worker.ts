// A model worker thread: holds its own ONNX sessions (a query embedder, or rankers, each opened once when
// the pool asks it to load one) and runs the batches the pool sends it, one at a time.
//
// Rank jobs are scored in chunks sized from the ranker's measured cost (about `chunkMs` each), predicted
// from the tokens each candidate will take (scoring-cost.ts). Between chunks the worker reads its
// messages, so a job whose request was cancelled or whose deadline passed stops there, and a job with a
// latency budget scores only chunks whose cautious prediction fits what is left of it: the scored prefix
// (best first from the first stage) comes back. A job already dead when it reaches the worker costs
// nothing. Nothing here runs on the HTTP thread, so a model call never blocks request handling.

import { getPriority, setPriority } from 'node:os';
import { setImmediate as yieldToMessages } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { SiftError } from '../errors.js';
import type { Encoder } from '../models/index.js';
import { openEmbedder } from '../models/index.js';
import type { Ranker } from '../rank/index.js';
import type {
  CancelMessage,
  ModelRequest,
  ModelResponse,
  ModelWorkerData,
  ModelWorkerStatus,
  RankJob,
  RankOutcome,
  RankProgress,
} from './model-protocol.js';
import { ScoringCost } from './scoring-cost.js';
import { toWireError } from './wire-error.js';

const data = workerData as ModelWorkerData;
const port = parentPort!;
/** The priority this thread runs at, or why it could not take the one asked for. */
const priority = takePriority(data.nice);
let encoder: Encoder | undefined;
const rankers = new Map<string, Promise<Ranker>>();
/** Per ranker, its measured scoring cost (ms from candidates and tokens). */
const costOf = new Map<string, ScoringCost>();
/** Keys of rank jobs received and not yet finished; cancelled ones are moved to `cancelled`. */
const live = new Set<number>();
const cancelled = new Set<number>();

type OpenRanker = (
  id: string,
  options?: { home?: string; threads?: number; quiet?: boolean },
) => Promise<Ranker>;
let openRankerFn: OpenRanker | undefined;

/**
 * Lowers this thread's scheduling priority before any model opens: on Linux a thread's nice value is its
 * own and the threads it creates (ONNX Runtime's intra-op pool) inherit it, so the whole ranker runs at
 * it while the HTTP, engine and embedding threads keep theirs. Refusal (a platform without per-thread
 * priority, a sandbox) leaves the worker at the process's priority and says why.
 */
function takePriority(nice: number | undefined): { nice: number; reason?: string } {
  if (nice === undefined) return { nice: getPriority() };
  try {
    setPriority(nice);
    return { nice: getPriority() };
  } catch (error) {
    return { nice: getPriority(), reason: error instanceof Error ? error.message : String(error) };
  }
}

async function rankerFor(id: string): Promise<Ranker> {
  let ranker = rankers.get(id);
  if (!ranker) {
    openRankerFn ??= ((await import(data.rankerModule ?? '../rank/index.js')) as { openRanker: OpenRanker })
      .openRanker;
    ranker = openRankerFn(id, { home: data.home, threads: data.threads, quiet: true }).then(
      async (opened) => {
        // An embedding-token ranker reads the index's stored vectors, which /v1/rank's documents do not
        // carry: it is experimental and not served yet (sift eval and sift search run it).
        if (!opened.itemVectors) return opened;
        await opened.release();
        throw new SiftError(
          'E_RANKER_VECTORS',
          `${id} reads documents as ${opened.itemVectors} vectors; embedding-token rankers are experimental and not served (use sift eval or sift search --rerank ${id})`,
          { field: 'rerank' },
        );
      },
    );
    rankers.set(id, ranker);
    // A failed open (unknown id, missing model) is not cached: the error goes back, nothing stays loaded.
    ranker.catch(() => rankers.delete(id));
  }
  return ranker;
}

/** Scores each job in turn; a failure or cancellation of one job leaves the others untouched. */
async function rank(jobs: readonly RankJob[]): Promise<RankOutcome[]> {
  const outcomes: RankOutcome[] = [];
  for (const job of jobs) {
    try {
      outcomes.push(await rankJob(job));
    } catch (error) {
      outcomes.push({ error: toWireError(error) });
    } finally {
      live.delete(job.key);
      cancelled.delete(job.key);
    }
  }
  return outcomes;
}

async function rankJob(job: RankJob): Promise<RankOutcome> {
  const ranker = await rankerFor(job.ranker);
  const n = job.candidates.length;
  const scores = new Float32Array(n);
  let cost = costOf.get(ranker.id);
  if (!cost) {
    cost = new ScoringCost();
    costOf.set(ranker.id, cost);
  }
  // Tokens per candidate, counted as the chunks reach them (a ranker that cannot say counts 1 each).
  const tokens: number[] = [];
  const tokensAt = (i: number): number => {
    while (tokens.length <= i) {
      const at = tokens.length;
      const end = Math.min(n, at + 4);
      const counted = ranker.tokensFor?.(job.query, job.candidates.slice(at, end));
      for (let j = at; j < end; j++) tokens.push(counted?.[j - at] ?? 1);
    }
    return tokens[i]!;
  };
  let scored = 0;
  let scoringMs = 0;
  while (scored < n) {
    if (cancelled.has(job.key)) throw new SiftError('E_CANCELLED', 'the request was cancelled');
    const now = Date.now();
    if (now >= job.deadline) throw new SiftError('E_TIMEOUT', 'the request passed its deadline');
    const left = job.budgetEnd === undefined ? Number.POSITIVE_INFINITY : job.budgetEnd - now;
    if (left <= 0) break;
    const chunk = chunkSize(cost, scored, n, tokensAt, left, job.budgetMs);
    if (chunk === 0) break;
    let chunkTokens = 0;
    for (let i = scored; i < scored + chunk; i++) chunkTokens += tokensAt(i);
    const started = performance.now();
    const chunkScores = await ranker.score(job.query, job.candidates.slice(scored, scored + chunk));
    const ms = performance.now() - started;
    scoringMs += ms;
    scores.set(chunkScores, scored);
    if (job.budgetEnd !== undefined) {
      const copy = Float32Array.from(chunkScores);
      port.postMessage(
        { type: 'progress', key: job.key, from: scored, scores: copy, ms } satisfies RankProgress,
        [copy.buffer],
      );
    }
    scored += chunk;
    cost.observe(chunk, chunkTokens, ms);
    // Let cancel messages in before the next chunk.
    await yieldToMessages();
  }
  return { scores: scores.slice(0, scored), rankerId: ranker.id, scoringMs };
}

/**
 * Candidates in the next chunk: as many as the cautious cost prediction fits into about `chunkMs` (the
 * cancellation granularity) and into what is `left` of the budget, and at least one when that one fits
 * the budget. A chunk that does not fit is not started, with two exceptions that measure: a ranker never
 * measured yet scores one candidate, and so does a job that arrived with its whole budget when the
 * prediction says no budget could hold one (a cold first call, believed forever, would stop all reranking).
 */
function chunkSize(
  cost: ScoringCost,
  from: number,
  n: number,
  tokensAt: (i: number) => number,
  left: number,
  budgetMs: number | undefined,
): number {
  const one = cost.cautious(1, tokensAt(from));
  if (one === undefined) return 1;
  if (one > left) {
    const hopeless = budgetMs !== undefined && from === 0 && one > budgetMs && left >= 0.9 * budgetMs;
    return hopeless ? 1 : 0;
  }
  const target = Math.min(data.chunkMs, left);
  let size = 1;
  let chunkTokens = tokensAt(from);
  while (from + size < n) {
    const next = chunkTokens + tokensAt(from + size);
    if ((cost.cautious(size + 1, next) ?? Number.POSITIVE_INFINITY) > target) break;
    chunkTokens = next;
    size++;
  }
  return size;
}

async function handle(request: ModelRequest): Promise<ModelResponse> {
  try {
    if (request.op === 'embed') {
      if (!encoder) throw new Error('this model worker was started without an embedder');
      const vectors = await encoder.encode(request.texts, request.role);
      return { id: request.id, ok: true, value: vectors };
    }
    if (request.op === 'load') {
      const ranker = await rankerFor(request.ranker);
      return { id: request.id, ok: true, value: { rankerId: ranker.id } };
    }
    return { id: request.id, ok: true, value: await rank(request.jobs) };
  } catch (error) {
    return { id: request.id, ok: false, error: toWireError(error) };
  }
}

function send(response: ModelResponse): void {
  const transfer = response.ok && response.value instanceof Float32Array ? [response.value.buffer] : [];
  port.postMessage(response, transfer as ArrayBuffer[]);
}

async function start(): Promise<void> {
  try {
    if (data.embedder) {
      encoder = await openEmbedder(data.embedder, { quiet: true, threads: data.threads, home: data.home });
    }
    for (const id of data.preloadRankers ?? []) await rankerFor(id);
    port.postMessage({
      type: 'ready',
      dimension: encoder?.dimension ?? 0,
      nice: priority.nice,
      ...(priority.reason === undefined ? {} : { niceReason: priority.reason }),
    } satisfies ModelWorkerStatus);
  } catch (error) {
    port.postMessage({ type: 'failed', error: toWireError(error) });
    return;
  }
  // Model calls run one at a time: a worker's sessions already use its threads fully. Loads and
  // cancellations are handled as they arrive, beside the running call.
  let chain = Promise.resolve();
  port.on('message', (message: ModelRequest | CancelMessage | { op: 'close' }) => {
    if (message.op === 'cancel') {
      for (const key of message.keys) if (live.has(key)) cancelled.add(key);
      return;
    }
    if (message.op === 'close') {
      chain = chain.then(async () => {
        await encoder?.release();
        for (const ranker of rankers.values()) await ranker.then((r) => r.release()).catch(() => {});
        port.close();
        process.exit(0);
      });
      return;
    }
    if (message.op === 'load') {
      void handle(message).then(send);
      return;
    }
    if (message.op === 'rank') for (const job of message.jobs) live.add(job.key);
    chain = chain.then(async () => send(await handle(message)));
  });
}

void start();
