// Exports one (policy, judge)'s labels: BEIR qrels TSV for evaluation, or JSONL for training, where each
// line carries the text, the grade, the soft label and the grade normalised to [0, 1] (the soft target
// SYSTEM.md §2 found best), plus the identity of the policy, judge and prompt that made it.

import { writeFileAtomic } from '../util/atomic-write.js';
import type { LabelSet, StoredLabel } from './label-store.js';

export type ExportFormat = 'qrels' | 'jsonl';

export function qrelsLines(labels: readonly StoredLabel[]): string[] {
  return ['query-id\tcorpus-id\tscore\n', ...labels.map((l) => `${l.queryId}\t${l.docId}\t${l.grade}\n`)];
}

export function jsonlLines(labels: readonly StoredLabel[], set: LabelSet): string[] {
  return labels.map((label) => {
    const record = {
      query_id: label.queryId,
      doc_id: label.docId,
      query: label.query,
      title: label.title,
      text: label.text,
      grade: label.grade,
      grade_normalized: label.grade / set.maxGrade,
      relevant: label.grade >= set.relevantFrom,
      soft_label: label.softLabel,
      rationale: label.rationale,
      policy: set.policyName,
      policy_hash: set.policyHash,
      judge_id: set.judgeId,
      prompt_hash: label.promptHash,
    };
    return `${JSON.stringify(record)}\n`;
  });
}

/** Writes the export atomically: a reader never sees half a file. */
export async function exportLabels(
  labels: readonly StoredLabel[],
  set: LabelSet,
  format: ExportFormat,
  out: string,
): Promise<number> {
  await writeFileAtomic(out, format === 'qrels' ? qrelsLines(labels) : jsonlLines(labels, set));
  return labels.length;
}
