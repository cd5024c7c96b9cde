// A labelling chunk as it travels through the queue: which store, which job row, which policy and
// judge, which pairs. Workers trust nothing in it: `parseJudgeChunk` checks every field and names the
// one that is wrong, so a malformed job fails by itself and never takes the worker down.

import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { SiftError } from '../errors.js';

/** The queue all labelling chunks go through (BullMQ queue names cannot contain ':'). */
export const JUDGE_QUEUE = 'judge';
/** The BullMQ job name of a labelling chunk. */
export const JUDGE_CHUNK_NAME = 'judge-chunk';
export const JUDGE_CHUNK_VERSION = 1;

/** How a worker opens the judge: everything but secrets (an API key is read from the worker's env). */
export interface ChunkJudge {
  /** `--judge` as given: default | llama:<id> | [local:]<id> | URL. */
  spec: string;
  /** The id labels are stored under; a worker whose judge opens with another id refuses the chunk. */
  id: string;
  /** For a URL judge: the model pinned by the producer. */
  model?: string;
  /** Name of the environment variable with a URL judge's API key, on the worker. */
  apiKeyEnv?: string;
  timeoutSeconds?: number;
  retries?: number;
  outputAttempts?: number;
  maxDocChars?: number;
  softLabels?: boolean;
  priceIn?: number;
  priceOut?: number;
}

export interface JudgeChunk {
  version: typeof JUDGE_CHUNK_VERSION;
  /** Absolute path of the SQLite label store, as the workers see it (shared storage across machines). */
  store: string;
  /** The store's job row the labels go under. */
  jobId: number;
  /** The policy, saved in the store by the producer. */
  policyHash: string;
  judge: ChunkJudge;
  pairIds: number[];
}

/**
 * The BullMQ job id of a chunk: a hash of what it labels (store, policy, judge, pairs), so enqueueing
 * the same chunk again while it waits or runs is a no-op. The store's job row is left out on purpose:
 * a second producer run must find the first run's chunks, not add twins.
 */
export function judgeChunkId(chunk: Pick<JudgeChunk, 'store' | 'policyHash' | 'judge' | 'pairIds'>): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([chunk.store, chunk.policyHash, chunk.judge.id, chunk.pairIds]))
    .digest('hex');
  return `judge-${digest.slice(0, 32)}`;
}

/** Checks a job's data field by field; throws E_BAD_JOB naming the job and the field. */
export function parseJudgeChunk(data: unknown, jobId = '?'): JudgeChunk {
  const bad = (field: string, detail: string): SiftError =>
    new SiftError('E_BAD_JOB', `job ${jobId}: field "${field}" ${detail}`, { field, job: jobId });
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad('data', 'is not an object');
  const record = data as Record<string, unknown>;
  if (record.version !== JUDGE_CHUNK_VERSION)
    throw bad('version', `is ${JSON.stringify(record.version)}, this worker reads ${JUDGE_CHUNK_VERSION}`);
  const store = record.store;
  if (typeof store !== 'string' || !isAbsolute(store)) throw bad('store', 'is not an absolute path');
  const job = record.jobId;
  if (!Number.isSafeInteger(job) || (job as number) < 1) throw bad('jobId', 'is not a positive integer');
  if (typeof record.policyHash !== 'string' || !/^[0-9a-f]{64}$/.test(record.policyHash))
    throw bad('policyHash', 'is not a sha256 hex digest');
  const pairIds = record.pairIds;
  if (!Array.isArray(pairIds) || pairIds.length === 0)
    throw bad('pairIds', 'is not a non-empty array of pair ids');
  for (const [i, id] of pairIds.entries()) {
    if (!Number.isSafeInteger(id) || (id as number) < 1) throw bad(`pairIds[${i}]`, 'is not a pair id');
  }
  return {
    version: JUDGE_CHUNK_VERSION,
    store,
    jobId: job as number,
    policyHash: record.policyHash,
    judge: parseChunkJudge(record.judge, bad),
    pairIds: pairIds as number[],
  };
}

function parseChunkJudge(value: unknown, bad: (field: string, detail: string) => SiftError): ChunkJudge {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('judge', 'is not an object');
  const judge = value as Record<string, unknown>;
  const text = (key: string, required: boolean): string | undefined => {
    const v = judge[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v === '') throw bad(`judge.${key}`, 'is not a non-empty string');
    return v;
  };
  const number = (key: string): number | undefined => {
    const v = judge[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw bad(`judge.${key}`, 'is not a non-negative number');
    return v;
  };
  const softLabels = judge.softLabels;
  if (softLabels !== undefined && typeof softLabels !== 'boolean')
    throw bad('judge.softLabels', 'is not a boolean');
  const parsed: ChunkJudge = { spec: text('spec', true) as string, id: text('id', true) as string };
  const model = text('model', false);
  const apiKeyEnv = text('apiKeyEnv', false);
  if (model !== undefined) parsed.model = model;
  if (apiKeyEnv !== undefined) parsed.apiKeyEnv = apiKeyEnv;
  for (const key of [
    'timeoutSeconds',
    'retries',
    'outputAttempts',
    'maxDocChars',
    'priceIn',
    'priceOut',
  ] as const) {
    const v = number(key);
    if (v !== undefined) parsed[key] = v;
  }
  if (softLabels !== undefined) parsed.softLabels = softLabels;
  return parsed;
}
