// Puts an exported label set (the JSONL that src/judge/export.ts writes, e.g. a committed
// assets/labels/<set>.jsonl.gz) back into a label store. The committed export is the durable copy of
// hours of judging; a store is a working file on one machine. Importing it lets labelling resume on a
// new machine (`sift judge sample` with the same arguments, then this, then `sift judge run` labels only
// what is missing) and lets audits and calibration run on committed labels.
//
// What goes in is the judge's own answer (`raw_grade`, soft label, scores, prompt hash): calibration is
// applied on the way out, never stored. Each line must name the policy given here (by hash) and one judge;
// a line that does not fails the import naming file, line and field before anything is written.

import { SiftError } from '../errors.js';
import { readJsonLines } from '../ingest/index.js';
import type { LabelStore, NewLabel, StoredDocument, StoredQuery } from './label-store.js';
import { labelCacheKey } from './pair-judgement.js';
import type { Policy } from './policy.js';
import type { JudgeScores } from './types.js';

/** One exported label, as read back. */
export interface ExportedLabel {
  line: number;
  queryId: string;
  docId: string;
  query: string;
  title: string;
  text: string;
  /** The judge's own grade (`raw_grade`; `grade` may be a calibrated one). */
  grade: number;
  softLabel: number[] | null;
  scores: JudgeScores | null;
  rationale: string | null;
  judgeId: string;
  promptHash: string;
}

export interface ImportSummary {
  /** Lines read. */
  read: number;
  /** Labels written. */
  imported: number;
  /** Labels the store already had for their pair (same policy and judge): kept as they were. */
  alreadyThere: number;
  /** Pairs the store did not have, added with source "import". */
  newPairs: number;
  judgeId: string;
}

/** Reads and checks every line of an export; throws E_LABEL_IMPORT naming file, line and field. */
export async function readExportedLabels(file: string, policy: Policy): Promise<ExportedLabel[]> {
  const labels: ExportedLabel[] = [];
  for await (const { value, line } of readJsonLines(file)) labels.push(parseLine(value, policy, file, line));
  if (labels.length === 0) throw new SiftError('E_LABEL_IMPORT', 'the file has no labels', { file });
  const judges = new Set(labels.map((l) => l.judgeId));
  if (judges.size > 1) {
    const second = labels.find((l) => l.judgeId !== labels[0]!.judgeId)!;
    throw new SiftError(
      'E_LABEL_IMPORT',
      `field "judge_id" is "${second.judgeId}", but line ${labels[0]!.line} is "${labels[0]!.judgeId}": one judge per import`,
      { file, line: second.line, field: 'judge_id' },
    );
  }
  return labels;
}

function parseLine(value: unknown, policy: Policy, file: string, line: number): ExportedLabel {
  const bad = (field: string, detail: string): never => {
    throw new SiftError('E_LABEL_IMPORT', `field "${field}" ${detail}`, { file, line, field });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SiftError('E_BAD_JSONL', 'the line is not a JSON object', { file, line });
  const r = value as Record<string, unknown>;
  const str = (field: string, nonEmpty: boolean): string => {
    const v = r[field];
    if (typeof v !== 'string' || (nonEmpty && v === ''))
      bad(field, nonEmpty ? 'must be a non-empty string' : 'must be a string');
    return v as string;
  };
  const policyHash = str('policy_hash', true);
  if (policyHash !== policy.hash)
    bad(
      'policy_hash',
      `is ${policyHash.slice(0, 12)}…, but the policy "${policy.name}" given is ${policy.hash.slice(0, 12)}… (pass the policy file the labels were made under)`,
    );
  const grade = r['raw_grade'] ?? r['grade'];
  if (typeof grade !== 'number' || !Number.isInteger(grade) || grade < 0 || grade > policy.maxGrade)
    bad('raw_grade', `must be an integer grade from 0 to ${policy.maxGrade}`);
  const soft = r['soft_label'];
  if (soft !== undefined && soft !== null) {
    if (
      !Array.isArray(soft) ||
      soft.length !== policy.maxGrade + 1 ||
      !soft.every((p) => typeof p === 'number' && p >= 0 && p <= 1)
    )
      bad('soft_label', `must be null or ${policy.maxGrade + 1} probabilities`);
  }
  const scores = r['scores'];
  if (scores !== undefined && scores !== null) {
    if (typeof scores !== 'object' || Array.isArray(scores)) bad('scores', 'must be null or an object');
    for (const [key, v] of Object.entries(scores as Record<string, unknown>))
      if (typeof v !== 'number' || !Number.isFinite(v)) bad(`scores.${key}`, 'must be a finite number');
  }
  const rationale = r['rationale'];
  if (rationale !== undefined && rationale !== null && typeof rationale !== 'string')
    bad('rationale', 'must be null or a string');
  return {
    line,
    queryId: str('query_id', true),
    docId: str('doc_id', true),
    query: str('query', true),
    title: str('title', false),
    text: str('text', false),
    grade: grade as number,
    softLabel: (soft as number[] | null | undefined) ?? null,
    scores: (scores as JudgeScores | null | undefined) ?? null,
    rationale: (rationale as string | null | undefined) ?? null,
    judgeId: str('judge_id', true),
    promptHash: str('prompt_hash', true),
  };
}

/**
 * Writes the labels into the store under one job row ("import"), in one transaction: a killed import
 * leaves the store as it was. A pair the store lacks is added (with its query and document) as source
 * "import"; a pair already labelled by this judge under this policy keeps its label.
 */
export function importLabels(
  store: LabelStore,
  labels: readonly ExportedLabel[],
  policy: Policy,
  source: string,
): ImportSummary {
  const judgeId = labels[0]?.judgeId ?? '';
  return store.transaction(() => {
    store.savePolicy(policy);
    const queries = new Map<string, StoredQuery>();
    const documents = new Map<string, StoredDocument>();
    for (const l of labels) {
      queries.set(l.queryId, { id: l.queryId, text: l.query });
      documents.set(l.docId, { id: l.docId, title: l.title, text: l.text });
    }
    const newPairs = store.addPairs(
      [...queries.values()],
      [...documents.values()],
      labels.map((l) => ({
        queryId: l.queryId,
        docId: l.docId,
        source: 'import',
        rank: null,
        stratum: 'import',
      })),
    );
    const jobId = store.startJob(policy.hash, judgeId, { import: source });
    const pairIds = store.pairIds(labels.map((l) => [l.queryId, l.docId] as const));
    const rows: NewLabel[] = labels.map((l, i) => ({
      pairId: pairIds[i]!,
      policyHash: policy.hash,
      judgeId,
      promptHash: l.promptHash,
      jobId,
      cacheKey: labelCacheKey(policy.hash, judgeId, l),
      grade: l.grade,
      ...(l.rationale !== null ? { rationale: l.rationale } : {}),
      ...(l.softLabel !== null ? { softLabel: l.softLabel } : {}),
      ...(l.scores !== null ? { scores: l.scores } : {}),
      // What it cost to make is not in the export: the import itself cost nothing.
      promptTokens: 0,
      completionTokens: 0,
      latencyMs: 0,
      attempts: 0,
    }));
    const totals = store.commitChunk(jobId, rows, []);
    store.finishJob(jobId, 'done', totals);
    return {
      read: labels.length,
      imported: totals.labelled,
      alreadyThere: labels.length - totals.labelled,
      newPairs,
      judgeId,
    };
  });
}
