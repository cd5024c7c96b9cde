// What each training example teaches the cross-encoder: a teacher's probability as its log-odds, a
// listwise target as the softmax of the teacher's scores within each query, and a soft label over grades.

import { SiftError } from '../errors.js';
import type { TrainingExample } from './examples.js';
import type { CandidateGroup } from './losses.js';

/** log(p / (1 − p)), p clamped to [1e-4, 1 − 1e-4] so that a certain teacher stays finite. */
export function logOdds(p: number): number {
  const q = Math.min(1 - 1e-4, Math.max(1e-4, p));
  return Math.log(q / (1 - q));
}

/** Each group's scores through a softmax: the listwise target distribution. */
export function softmaxWithin(scores: readonly number[], groups: readonly CandidateGroup[]): number[] {
  const out = new Array<number>(scores.length).fill(0);
  for (const { start, count } of groups) {
    let max = Number.NEGATIVE_INFINITY;
    for (let i = start; i < start + count; i++) max = Math.max(max, scores[i]!);
    let sum = 0;
    for (let i = start; i < start + count; i++) sum += Math.exp(scores[i]! - max);
    for (let i = start; i < start + count; i++) out[i] = Math.exp(scores[i]! - max) / sum;
  }
  return out;
}

/** The judge's soft label over `labels` grades, or a one-hot of the grade when it gave none. */
export function softTarget(e: TrainingExample, labels: number): number[] {
  if (e.softLabel) {
    if (e.softLabel.length !== labels)
      throw new SiftError(
        'E_TRAIN_DATA',
        `example ${e.queryId}/${e.docId}: soft_label has ${e.softLabel.length} grades, the head ${labels}`,
        {
          field: 'soft_label',
        },
      );
    return e.softLabel;
  }
  const onehot = new Array<number>(labels).fill(0);
  onehot[Math.min(labels - 1, Math.round(e.grade))] = 1;
  return onehot;
}
