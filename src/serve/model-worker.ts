// A model worker thread: holds its own ONNX sessions (a query embedder, or rankers, each opened once when
// the pool asks it to load one) and runs the batches the pool sends it, one at a time.
//
// Rank jobs are scored in chunks sized from the ranker's measured speed (about `chunkMs` each). Between
// chunks the worker reads its messages, so a job whose request was cancelled or whose deadline passed
// stops there, and a job with a latency budget stops at the last chunk that fits it: the scored prefix
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
} from './model-protocol.js';
import { toWireError } from './wire-error.js';

const data = workerData as ModelWorkerData;
const port = parentPort!;
/** The priority this thread runs at, or why it could not take the one asked for. */
const priority = takePriority(data.nice);
let encoder: Encoder | undefined;
const rankers = new Map<string, Promise<Ranker>>();
/** Measured ms per candidate, per ranker (exponentially weighted). */
const msPerCandidate = new Map<string, number>();
/**
 * Per ranker, a factor (< 1) the measured speed is discounted by after budgets that nothing fitted, reset
 * by the next measurement: it lets a job probe one candidate again, never size a chunk.
 */
const optimismOf = new Map<string, number>();
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
    ranker = openRankerFn(id, { home: data.home, threads: data.threads, quiet: true });
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
  let scored = 0;
  let scoringMs = 0;
  while (scored < n) {
    if (cancelled.has(job.key)) throw new SiftError('E_CANCELLED', 'the request was cancelled');
    const now = Date.now();
    if (now >= job.deadline) throw new SiftError('E_TIMEOUT', 'the request passed its deadline');
    const perCandidate = msPerCandidate.get(ranker.id);
    const optimism = optimismOf.get(ranker.id) ?? 1;
    // Unknown speed: one candidate measures it. Known: as many as take about chunkMs.
    let chunk = perCandidate === undefined ? 1 : Math.max(1, Math.floor(data.chunkMs / perCandidate));
    if (job.budgetEnd !== undefined) {
      if (now >= job.budgetEnd) break;
      const hoped = perCandidate === undefined ? undefined : perCandidate * optimism;
      const fits = hoped === undefined ? 1 : Math.floor((job.budgetEnd - now) / hoped);
      if (fits < 1) {
        // Nothing fits by the estimate. Hope a little more each time, so that a slow measurement (a cold
        // session, a moment of contention) is probed again rather than believed forever.
        if (scored === 0 && perCandidate !== undefined) optimismOf.set(ranker.id, optimism * 0.95);
        break;
      }
      // A hopeful estimate buys one candidate, a probe: a chunk sized by it could overrun the budget
      // by many candidates' real cost.
      chunk = optimism < 1 ? 1 : Math.min(chunk, fits);
    }
    chunk = Math.min(chunk, n - scored);
    const started = performance.now();
    const chunkScores = await ranker.score(job.query, job.candidates.slice(scored, scored + chunk));
    const ms = performance.now() - started;
    scoringMs += ms;
    scores.set(chunkScores, scored);
    scored += chunk;
    const measured = ms / chunk;
    optimismOf.delete(ranker.id);
    msPerCandidate.set(
      ranker.id,
      perCandidate === undefined ? measured : 0.7 * perCandidate + 0.3 * measured,
    );
    // Let cancel messages in before the next chunk.
    await yieldToMessages();
  }
  return { scores: scores.slice(0, scored), rankerId: ranker.id, scoringMs };
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
