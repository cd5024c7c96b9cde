// The prompts of a scoring judge (one that reads probabilities instead of parsing generated text).
//
// One pair costs one pass over its document: the policy (system turn) is evaluated once per job and
// kept; each pair appends the document, then each scoring form appends its own short question, reads
// the next-token distribution and is cut off again before the next form. So the document comes first
// and the query after it (which also lets query likelihood read log p(query | document), as UPR does).
//
// Forms, in the order they are read (../shared/SYSTEM.md §2 for soft labels; Sachan et al. 2022, "Improving Passage Retrieval with Zero-Shot
// Question Generation", for query likelihood):
// - grade: the policy's grade as the first token of a JSON answer `{"grade": d`, constrained to the valid
//   digits; the renormalised digit probabilities are the soft label, their mean the expected grade;
// - yesno: "does the document meet the need", p(yes) = P(yes) / (P(yes) + P(no)), the ranker's own form;
// - ql: mean log probability of the query's first tokens when asked for the query the document answers.

import { createHash } from 'node:crypto';
import type { Policy } from './policy.js';
import { truncate } from './prompt.js';
import type { JudgeDocument } from './types.js';

/** Bump when any wording below changes: labels made with other prompts must not pass as the same. */
export const SCORING_TEMPLATE_VERSION = 3;

export type ScoringForm = 'grade' | 'yesno' | 'ql';
export const SCORING_FORMS: readonly ScoringForm[] = ['grade', 'yesno', 'ql'];

export interface ScoringPromptOptions {
  /**
   * Tokens of a one-sentence reason generated before the grade (0: none, the default). The grade form
   * then reads its digit after `{"reason": "<generated>", "grade": `; the other forms are unchanged.
   */
  rationaleTokens?: number;
  /** Characters of document text read before the token budget applies. Default 2000 (≈ 500 tokens). */
  maxDocChars?: number;
  /** Characters of the query kept. Default 500. */
  maxQueryChars?: number;
}

export const SCORING_DEFAULTS = { maxDocChars: 2000, maxQueryChars: 500 } as const;

/** The system turn: the policy, then how requests are put. Evaluated once per job. */
export function scoringSystemTurn(policy: Policy): string {
  const grades = policy.levels.map((level) => `${level.grade} = ${level.label}`).join(', ');
  return `<|im_start|>system
${policy.body.trim()}

## How requests are put

Each request shows one document and then asks one question about it, most often about a search query.
Answer exactly in the form the question asks for. Grades: ${grades}.<|im_end|>
<|im_start|>user
`;
}

/** The document part of the user turn (title and truncated text). */
export function scoringDocumentPart(document: JudgeDocument, options: ScoringPromptOptions = {}): string {
  const maxDoc = options.maxDocChars ?? SCORING_DEFAULTS.maxDocChars;
  const title = document.title.trim();
  return [
    ...(title ? [`Document title: ${truncate(title, SCORING_DEFAULTS.maxQueryChars)}`] : []),
    `Document text: ${truncate(document.text.trim(), maxDoc)}`,
    '',
    '',
  ].join('\n');
}

/**
 * The user turn after the document: query likelihood first (it must not see the query), then the query
 * itself, kept, then each question form in turn, each cut off before the next. Questions are short:
 * every token here is paid for on every pair, while the policy above is paid for once.
 */
export function queryLikelihoodLead(): string {
  return `Write the search query that would find this document.<|im_end|>
<|im_start|>assistant
`;
}

export function queryPart(query: string, options: ScoringPromptOptions = {}): string {
  return `Search query: ${truncate(query.trim(), options.maxQueryChars ?? SCORING_DEFAULTS.maxQueryChars)}\n\n`;
}

/** The grade question when a reason comes first: the model writes the reason, then the grade is read. */
export function rationaleLead(policy: Policy): string {
  return `Grade the document for this query under the policy. First give the reason in one short sentence. Answer with JSON: {"reason": "<one sentence>", "grade": <0-${policy.maxGrade}>}<|im_end|>
<|im_start|>assistant
{"reason": "`;
}

/** What follows the generated reason, up to the grade digit. */
export function afterRationale(reason: string): string {
  return `${reason}", "grade": `;
}

export function questionLead(form: 'grade' | 'yesno', policy: Policy): string {
  if (form === 'grade') {
    return `Grade the document for this query under the policy. Answer with JSON: {"grade": <0-${policy.maxGrade}>}<|im_end|>
<|im_start|>assistant
{"grade": `;
  }
  return `Would the policy grade the document ${policy.relevantFrom} or higher for this query? Answer yes or no.<|im_end|>
<|im_start|>assistant
`;
}

/** sha256 of everything that shapes a scoring judge's prompts besides the pair: part of each label. */
export function scoringPromptHash(
  policy: Policy,
  forms: readonly ScoringForm[],
  options: ScoringPromptOptions = {},
): string {
  const identity = JSON.stringify({
    scoringTemplate: SCORING_TEMPLATE_VERSION,
    policy: policy.hash,
    forms,
    maxDocChars: options.maxDocChars ?? SCORING_DEFAULTS.maxDocChars,
    maxQueryChars: options.maxQueryChars ?? SCORING_DEFAULTS.maxQueryChars,
    // Absent when 0, so labels made before reasons existed keep their hash.
    ...(options.rationaleTokens ? { rationaleTokens: options.rationaleTokens } : {}),
  });
  return createHash('sha256').update(identity).digest('hex');
}
