// Messages between the HTTP thread's model pool and its worker threads.

import type { TextRole } from '../models/types.js';
import type { RankCandidate } from '../rank/types.js';
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
  /** Rankers to open at start, so that the first request does not pay their load. */
  preloadRankers?: string[];
}

export interface RankJob {
  ranker: string;
  query: string;
  candidates: RankCandidate[];
}

export type RankOutcome = { scores: Float32Array; rankerId: string } | { error: WireError };

export type ModelRequest =
  | { id: number; op: 'embed'; texts: string[]; role: TextRole }
  | { id: number; op: 'rank'; jobs: RankJob[] };

export type ModelResponse =
  | { id: number; ok: true; value: Float32Array | RankOutcome[] }
  | { id: number; ok: false; error: WireError };

export type ModelWorkerStatus = { type: 'ready'; dimension: number } | { type: 'failed'; error: WireError };
