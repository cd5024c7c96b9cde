// Messages between the HTTP thread's model pools and their worker threads.

import type { TextRole } from '../models/index.js';
import type { RankCandidate } from '../rank/index.js';
import type { WireError } from './wire-error.js';

export interface ModelWorkerData {
  /** Embedder to load at start (registry id, optionally ":int8"); undefined for none. */
  embedder: string | undefined;
  /** SIFT_HOME, where models are (and are pulled to when missing). */
  home: string;
  /** Threads per ONNX session. */
  threads: number;
  /** Module exporting `openRanker(id)`; default sift's rank stage. */
  rankerModule: string | undefined;
  /** Rankers to open at start (workers that replace a crashed one reopen what was loaded). */
  preloadRankers?: string[];
  /** Ranker candidates per scoring call are sized so that one call takes about this long, in ms. */
  chunkMs: number;
  /**
   * Scheduling priority (nice) the worker thread takes before it opens any model, so the model threads
   * it starts inherit it. Unset: the process's.
   */
  nice?: number;
}

export interface RankJob {
  /** Unique per job: a `cancel` message names it. */
  key: number;
  ranker: string;
  query: string;
  /** Best first (the first stage's order): under a budget, a prefix of them is scored. */
  candidates: RankCandidate[];
  /** Epoch ms after which the request is gone: nothing more is scored (E_TIMEOUT). */
  deadline: number;
  /** Epoch ms by which scoring should end: the worker scores the prefix that fits. Unset: all. */
  budgetEnd?: number;
  /** The whole budget, ms from the request's arrival (with `budgetEnd`). */
  budgetMs?: number;
}

export type RankOutcome =
  | {
      /** Scores of the first `scores.length` candidates (all of them unless a budget stopped it). */
      scores: Float32Array;
      rankerId: string;
      /** Time spent scoring in the worker, ms (not waiting). */
      scoringMs: number;
    }
  | { error: WireError };

export type ModelRequest =
  | { id: number; op: 'embed'; texts: string[]; role: TextRole }
  | { id: number; op: 'rank'; jobs: RankJob[] }
  | { id: number; op: 'load'; ranker: string };

export type ModelResponse =
  | { id: number; ok: true; value: Float32Array | RankOutcome[] | { rankerId: string } }
  | { id: number; ok: false; error: WireError };

/** Sent outside the request/response pairs: stop these rank jobs (client gone, deadline passed). */
export interface CancelMessage {
  op: 'cancel';
  keys: number[];
}

/**
 * Sent by a worker after each chunk of a budgeted rank job: the scores of candidates [from, from + n),
 * so the HTTP thread holds every finished chunk and can answer at the budget's end without waiting for
 * a worker that the scheduler is starving (ranker threads run at a low priority).
 */
export interface RankProgress {
  type: 'progress';
  key: number;
  from: number;
  scores: Float32Array;
  /** ms the chunk took to score. */
  ms: number;
}

export type ModelWorkerStatus =
  | RankProgress
  | {
      type: 'ready';
      dimension: number;
      /** The nice value the worker runs at, and why not the one asked for when it could not take it. */
      nice: number;
      niceReason?: string;
    }
  | { type: 'failed'; error: WireError };
