// A teacher-scoring chunk as it travels through the queue: which cross-encoder (by folder, as the
// workers see it), at which length, scores which candidate lists, and where its result goes. A worker
// writes the lists' scores to one file in the producer's chunk folder (written atomically), and the
// producer reads the files back in order, so the training run that wants the scores stays the only
// writer of everything else.
//
// The lists themselves travel in the job (query and candidate texts): they come from several
// collections and title queries that no single index names, and a chunk is a few hundred KB at most.
// The chunk id is a hash of (model folder, length, lists), so the same lists scored twice write the same
// file, and a producer run again after any interruption queues only the chunks without one.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { SiftError } from '../errors.js';
import type { RankCandidate } from '../rank/index.js';

/** The queue all teacher-scoring chunks go through. */
export const SCORE_QUEUE = 'score';
/** The BullMQ job name of a teacher-scoring chunk. */
export const SCORE_CHUNK_NAME = 'score-chunk';
export const SCORE_CHUNK_VERSION = 1;

/** A candidate as the teacher sees it (the rankers' own shape). */
export type ScoreCandidate = RankCandidate;

/** One query and the candidates the teacher scores for it. */
export interface ScoreList {
  query: string;
  docs: ScoreCandidate[];
}

export interface ScoreChunk {
  version: typeof SCORE_CHUNK_VERSION;
  /** Absolute folder of the cross-encoder checkpoint, as the workers see it (shared storage). */
  model: string;
  /** The model's id, for logs and the result file. */
  modelId: string;
  /** Longest pair in tokens, as the producer would score it. */
  maxLength: number;
  /** Absolute folder the result file goes into. */
  out: string;
  lists: ScoreList[];
}

export function scoreChunkId(chunk: Pick<ScoreChunk, 'model' | 'maxLength' | 'lists'>): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([chunk.model, chunk.maxLength, chunk.lists]))
    .digest('hex');
  return `score-${digest.slice(0, 32)}`;
}

/** Where a chunk's scores go. */
export function scoreChunkFile(chunk: Pick<ScoreChunk, 'model' | 'maxLength' | 'lists' | 'out'>): string {
  return join(chunk.out, `${scoreChunkId(chunk)}.json`);
}

interface ScoreChunkResultFile {
  version: typeof SCORE_CHUNK_VERSION;
  id: string;
  modelId: string;
  /** One score per candidate, list by list. */
  scores: number[][];
}

export function encodeChunkScores(chunk: ScoreChunk, scores: number[][]): string {
  const file: ScoreChunkResultFile = {
    version: SCORE_CHUNK_VERSION,
    id: scoreChunkId(chunk),
    modelId: chunk.modelId,
    scores,
  };
  return `${JSON.stringify(file)}\n`;
}

/**
 * Reads a chunk's result file; throws E_JOB_FAILED naming it when it is not this chunk's scores (another
 * chunk's id, a list or candidate count that differs, a score that is not a finite number).
 */
export async function readChunkScores(chunk: ScoreChunk): Promise<number[][]> {
  const path = scoreChunkFile(chunk);
  const bad = (detail: string) =>
    new SiftError('E_JOB_FAILED', `teacher-scoring result ${detail}; delete it to score the chunk again`, {
      file: path,
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) throw bad('is not valid JSON');
    throw error;
  }
  const record = parsed as Partial<ScoreChunkResultFile> | null;
  if (record?.version !== SCORE_CHUNK_VERSION || record.id !== scoreChunkId(chunk))
    throw bad(`is not chunk ${scoreChunkId(chunk)}'s (version ${SCORE_CHUNK_VERSION})`);
  const scores = record.scores;
  if (!Array.isArray(scores) || scores.length !== chunk.lists.length)
    throw bad(`holds ${Array.isArray(scores) ? scores.length : 'no'} lists, expected ${chunk.lists.length}`);
  chunk.lists.forEach((list, i) => {
    const row = scores[i];
    if (!Array.isArray(row) || row.length !== list.docs.length)
      throw bad(
        `list ${i} holds ${Array.isArray(row) ? row.length : 'no'} scores, expected ${list.docs.length}`,
      );
    if (!row.every((score) => typeof score === 'number' && Number.isFinite(score)))
      throw bad(`list ${i} has a score that is not a finite number`);
  });
  return scores;
}

/** Checks a job's data field by field; throws E_BAD_JOB naming the job and the field. */
export function parseScoreChunk(data: unknown, jobId = '?'): ScoreChunk {
  const bad = (field: string, detail: string): SiftError =>
    new SiftError('E_BAD_JOB', `job ${jobId}: field "${field}" ${detail}`, { field, job: jobId });
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad('data', 'is not an object');
  const record = data as Record<string, unknown>;
  if (record.version !== SCORE_CHUNK_VERSION)
    throw bad('version', `is ${JSON.stringify(record.version)}, this worker reads ${SCORE_CHUNK_VERSION}`);
  const { model, modelId, maxLength, out, lists } = record;
  if (typeof model !== 'string' || !isAbsolute(model)) throw bad('model', 'is not an absolute path');
  if (typeof modelId !== 'string' || modelId === '') throw bad('modelId', 'is not a non-empty string');
  if (!Number.isSafeInteger(maxLength) || (maxLength as number) < 8)
    throw bad('maxLength', 'is not an integer of at least 8');
  if (typeof out !== 'string' || !isAbsolute(out)) throw bad('out', 'is not an absolute path');
  if (!Array.isArray(lists) || lists.length === 0) throw bad('lists', 'is not a non-empty array');
  lists.forEach((list: unknown, i) => {
    const entry = list as Partial<ScoreList> | null;
    if (typeof entry?.query !== 'string') throw bad(`lists[${i}].query`, 'is not a string');
    if (!Array.isArray(entry.docs)) throw bad(`lists[${i}].docs`, 'is not an array');
    entry.docs.forEach((doc: unknown, j) => {
      const candidate = doc as Partial<ScoreCandidate> | null;
      for (const key of ['id', 'title', 'text'] as const) {
        if (typeof candidate?.[key] !== 'string')
          throw bad(`lists[${i}].docs[${j}].${key}`, 'is not a string');
      }
    });
  });
  return {
    version: SCORE_CHUNK_VERSION,
    model,
    modelId,
    maxLength: maxLength as number,
    out,
    lists: lists as ScoreList[],
  };
}
