// Training examples: one (query, document, target) row, read from the judge's training JSONL
// (src/judge/export.ts writes it: query_id, doc_id, query, title, text, grade, grade_normalized,
// soft_label, ...) or made from a BEIR collection's human qrels.
//
// A malformed line fails the read naming file, line and field (E_BAD_JSONL, or E_TRAIN_DATA for a line
// that parses but lacks what training needs); an empty file is E_TRAIN_DATA, never a silent no-op run.

import { SiftError } from '../errors.js';
import { readJsonLines } from '../ingest/index.js';

export interface TrainingExample {
  queryId: string;
  docId: string;
  query: string;
  title: string;
  text: string;
  /** The judge's (or a human's) grade, 0 = not relevant. */
  grade: number;
  /** grade / max grade, in [0, 1]: the default pointwise target. */
  gradeNormalized: number;
  /** The judge's distribution over grades (sums to 1), when it gave one. */
  softLabel: number[] | null;
  /**
   * The scoring judge's p(yes) for "relevant under the policy" (scores.pYes in the export), when it gave
   * one: the paper's soft target (../shared/SYSTEM.md §3), uncalibrated, so its order is the judge's own.
   */
  pYes: number | null;
}

/** Reads every example of a training JSONL file. */
export async function readTrainingJsonl(file: string): Promise<TrainingExample[]> {
  const examples: TrainingExample[] = [];
  for await (const { value, line } of readJsonLines(file)) examples.push(parseExample(value, file, line));
  if (examples.length === 0) throw new SiftError('E_TRAIN_DATA', 'the label file has no examples', { file });
  return examples;
}

function parseExample(value: unknown, file: string, line: number): TrainingExample {
  const bad = (field: string, detail: string): never => {
    throw new SiftError('E_TRAIN_DATA', `field "${field}" ${detail}`, { file, line, field });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SiftError('E_BAD_JSONL', 'the line is not a JSON object', { file, line });
  const r = value as Record<string, unknown>;
  const id = (field: string): string => {
    const v = r[field];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    return bad(field, 'must be a non-empty string');
  };
  const text = (field: string, required: boolean): string => {
    const v = r[field];
    if (typeof v === 'string') return v;
    if (!required && (v === undefined || v === null)) return '';
    return bad(field, 'must be a string');
  };
  const grade = r['grade'];
  if (typeof grade !== 'number' || !Number.isFinite(grade) || grade < 0) bad('grade', 'must be a number ≥ 0');
  const normalized = r['grade_normalized'];
  if (typeof normalized !== 'number' || !(normalized >= 0 && normalized <= 1))
    bad('grade_normalized', 'must be a number in [0, 1]');
  const soft = r['soft_label'];
  let softLabel: number[] | null = null;
  if (soft !== undefined && soft !== null) {
    if (!Array.isArray(soft) || soft.length === 0 || !soft.every((p) => typeof p === 'number' && p >= 0))
      bad('soft_label', 'must be null or an array of probabilities');
    const sum = (soft as number[]).reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-3) bad('soft_label', `must sum to 1 (sums to ${sum})`);
    softLabel = soft as number[];
  }
  const scores = r['scores'];
  let pYes: number | null = null;
  if (scores !== undefined && scores !== null) {
    if (typeof scores !== 'object' || Array.isArray(scores)) bad('scores', 'must be null or an object');
    const p = (scores as Record<string, unknown>)['pYes'];
    if (p !== undefined && p !== null) {
      if (typeof p !== 'number' || !(p >= 0 && p <= 1)) bad('scores.pYes', 'must be a probability');
      pYes = p as number;
    }
  }
  const query = text('query', true);
  if (query.trim() === '') bad('query', 'is empty');
  return {
    queryId: id('query_id'),
    docId: id('doc_id'),
    query,
    title: text('title', false),
    text: text('text', true),
    grade: grade as number,
    gradeNormalized: normalized as number,
    softLabel,
    pYes,
  };
}
