// Exports one (policy, judge)'s labels: BEIR qrels TSV for evaluation, or JSONL for training, where each
// line carries the text, the grade, the soft label and the grade normalised to [0, 1] (the soft target
// ../shared/SYSTEM.md §2 found best), plus the identity of the policy, judge and prompt that made it. With a
// calibration in force, `grade` and `grade_normalized` are the calibrated ones (the normalised target is
// then the calibrated relevance itself) and the judge's own answer stays in `raw_grade`, with `scores`.

import { writeFileAtomic } from '../util/index.js';
import { type Calibration, gradeOnScale } from './calibration.js';
import { calibratedRelevance } from './calibration-store.js';
import type { LabelSet, StoredLabel } from './label-store.js';

export type ExportFormat = 'qrels' | 'jsonl';

/** Each label's grade and normalised grade, calibrated where a calibration applies to it. */
function finalGrades(labels: readonly StoredLabel[], set: LabelSet, calibration?: Calibration) {
  const relevance = calibration ? calibratedRelevance(labels, calibration, set.maxGrade) : [];
  return labels.map((label, i) => {
    const r = relevance[i];
    return r !== undefined && Number.isFinite(r)
      ? { grade: gradeOnScale(r, set.maxGrade), normalized: r, calibrated: true }
      : { grade: label.grade, normalized: label.grade / set.maxGrade, calibrated: false };
  });
}

export function qrelsLines(
  labels: readonly StoredLabel[],
  set: LabelSet,
  calibration?: Calibration,
): string[] {
  const grades = finalGrades(labels, set, calibration);
  return [
    'query-id\tcorpus-id\tscore\n',
    ...labels.map((l, i) => `${l.queryId}\t${l.docId}\t${grades[i]!.grade}\n`),
  ];
}

export function jsonlLines(
  labels: readonly StoredLabel[],
  set: LabelSet,
  calibration?: Calibration,
): string[] {
  const grades = finalGrades(labels, set, calibration);
  return labels.map((label, i) => {
    const { grade, normalized, calibrated } = grades[i]!;
    const record = {
      query_id: label.queryId,
      doc_id: label.docId,
      query: label.query,
      title: label.title,
      text: label.text,
      grade,
      grade_normalized: normalized,
      relevant: grade >= set.relevantFrom,
      raw_grade: label.grade,
      soft_label: label.softLabel,
      ...(label.scores ? { scores: label.scores } : {}),
      calibrated,
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
  calibration?: Calibration,
): Promise<number> {
  await writeFileAtomic(
    out,
    format === 'qrels' ? qrelsLines(labels, set, calibration) : jsonlLines(labels, set, calibration),
  );
  return labels.length;
}
