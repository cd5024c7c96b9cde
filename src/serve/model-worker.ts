// A model worker thread: holds its own ONNX sessions (the query embedder, loaded at start, and rankers,
// each opened once on first use) and runs the batches the pool sends it, one at a time.
//
// Nothing here runs on the HTTP thread, so a model call never blocks request handling.

import { parentPort, workerData } from 'node:worker_threads';
import { openEmbedder } from '../models/open-embedder.js';
import type { Encoder } from '../models/types.js';
import type { RankCandidate, Ranker } from '../rank/types.js';
import type { ModelRequest, ModelResponse, ModelWorkerData, RankJob, RankOutcome } from './model-protocol.js';
import { toWireError } from './wire-error.js';

const data = workerData as ModelWorkerData;
const port = parentPort!;
let encoder: Encoder | undefined;
const rankers = new Map<string, Promise<Ranker>>();

type OpenRanker = (id: string) => Promise<Ranker>;
let openRankerFn: OpenRanker | undefined;

async function rankerFor(id: string): Promise<Ranker> {
  let ranker = rankers.get(id);
  if (!ranker) {
    openRankerFn ??= ((await import(data.rankerModule ?? '../rank/index.js')) as { openRanker: OpenRanker })
      .openRanker;
    ranker = openRankerFn(id);
    rankers.set(id, ranker);
    // A failed open (unknown id, missing model) is not cached: the error goes back, nothing stays loaded.
    ranker.catch(() => rankers.delete(id));
  }
  return ranker;
}

/**
 * Scores a batch of rank jobs. Jobs with the same ranker and query (concurrent identical searches) are
 * merged into one scoring call; the Ranker contract scores one query per call, so distinct queries are
 * scored one call each, in turn.
 */
async function rank(jobs: readonly RankJob[]): Promise<RankOutcome[]> {
  const groups = new Map<string, number[]>();
  jobs.forEach((job, i) => {
    const key = `${job.ranker}\u0000${job.query}`;
    const members = groups.get(key);
    if (members) members.push(i);
    else groups.set(key, [i]);
  });
  const outcomes: RankOutcome[] = new Array(jobs.length);
  for (const members of groups.values()) {
    const first = jobs[members[0]!]!;
    try {
      const ranker = await rankerFor(first.ranker);
      const candidates: RankCandidate[] = members.flatMap((i) => jobs[i]!.candidates);
      const scores = await ranker.score(first.query, candidates);
      let at = 0;
      for (const i of members) {
        const n = jobs[i]!.candidates.length;
        outcomes[i] = { scores: scores.slice(at, at + n), rankerId: ranker.id };
        at += n;
      }
    } catch (error) {
      for (const i of members) outcomes[i] = { error: toWireError(error) };
    }
  }
  return outcomes;
}

async function handle(request: ModelRequest): Promise<ModelResponse> {
  try {
    if (request.op === 'embed') {
      if (!encoder) throw new Error('this model worker was started without an embedder');
      const vectors = await encoder.encode(request.texts, request.role);
      return { id: request.id, ok: true, value: vectors };
    }
    return { id: request.id, ok: true, value: await rank(request.jobs) };
  } catch (error) {
    return { id: request.id, ok: false, error: toWireError(error) };
  }
}

async function start(): Promise<void> {
  try {
    if (data.embedder) {
      encoder = await openEmbedder(data.embedder, { quiet: true, threads: data.threads, home: data.home });
    }
    for (const id of data.preloadRankers ?? []) await rankerFor(id);
    port.postMessage({ type: 'ready', dimension: encoder?.dimension ?? 0 });
  } catch (error) {
    port.postMessage({ type: 'failed', error: toWireError(error) });
    return;
  }
  // Requests are handled one at a time: a worker's sessions already use its threads fully.
  let chain = Promise.resolve();
  port.on('message', (message: ModelRequest | { op: 'close' }) => {
    if (message.op === 'close') {
      chain = chain.then(async () => {
        await encoder?.release();
        for (const ranker of rankers.values()) await ranker.then((r) => r.release()).catch(() => {});
        port.close();
        process.exit(0);
      });
      return;
    }
    chain = chain.then(async () => {
      const response = await handle(message);
      const transfer = response.ok && response.value instanceof Float32Array ? [response.value.buffer] : [];
      port.postMessage(response, transfer as ArrayBuffer[]);
    });
  });
}

void start();
