// Reads a grade out of what a chat model answered, defensively: models wrap JSON in code fences, add
// prose around it, or write the grade as a string. Anything that does not yield an integer grade within
// the policy's levels is an E_JUDGE_OUTPUT failure, never a guess.

import { SiftError } from '../errors.js';
import type { TokenLogprob } from './types.js';

export interface ParsedAnswer {
  grade: number;
  rationale?: string;
}

/** Parses a judge's answer; `maxGrade` is the policy's top grade (grades run 0..maxGrade). */
export function parseJudgeAnswer(content: string, maxGrade: number): ParsedAnswer {
  const text = content.trim();
  // A bare integer is an unambiguous answer (small models often give just the grade).
  if (/^\d+$/.test(text)) return { grade: checkGrade(Number(text), maxGrade, content) };
  const value = firstJsonObject(text);
  if (value === undefined) throw outputError('no JSON object in the answer', content);
  const raw = value['grade'];
  let grade: number;
  if (typeof raw === 'number') grade = raw;
  else if (typeof raw === 'string' && /^\s*\d+\s*$/.test(raw)) grade = Number(raw);
  else
    throw outputError(
      `"grade" is ${raw === undefined ? 'missing' : `not an integer: ${JSON.stringify(raw)}`}`,
      content,
    );
  grade = checkGrade(grade, maxGrade, content);
  const rationale = value['rationale'];
  return typeof rationale === 'string' && rationale.trim() !== ''
    ? { grade, rationale: rationale.trim() }
    : { grade };
}

function checkGrade(grade: number, maxGrade: number, content: string): number {
  if (!Number.isInteger(grade)) throw outputError(`grade ${grade} is not an integer`, content);
  if (grade < 0 || grade > maxGrade) throw outputError(`grade ${grade} is outside 0..${maxGrade}`, content);
  return grade;
}

/** The first `{...}` in the text that parses as a JSON object: whole text, fenced block, or embedded. */
function firstJsonObject(text: string): Record<string, unknown> | undefined {
  const candidates = [text];
  for (const fence of text.matchAll(/```(?:json)?\s*([\s\S]*?)```/gi)) candidates.push(fence[1]!.trim());
  // Embedded objects: from each '{' to each later '}', shortest first (answers hold one small object).
  for (let start = text.indexOf('{'); start >= 0; start = text.indexOf('{', start + 1)) {
    for (let end = text.indexOf('}', start); end >= 0; end = text.indexOf('}', end + 1)) {
      candidates.push(text.slice(start, end + 1));
    }
  }
  for (const candidate of candidates) {
    try {
      const value: unknown = JSON.parse(candidate);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        return value as Record<string, unknown>;
      }
    } catch {
      // not this candidate
    }
  }
  return undefined;
}

function outputError(detail: string, content: string): SiftError {
  const shown = content.length > 200 ? `${content.slice(0, 200)}…` : content;
  return new SiftError('E_JUDGE_OUTPUT', `${detail} (answer: ${JSON.stringify(shown)})`, { field: 'grade' });
}

/**
 * The probability of each grade from the log probabilities at the token where the grade was written:
 * the softmax of the alternatives there that are grades, renormalised over grades only. Undefined when
 * the position cannot be found (no logprobs, or the grade split across tokens).
 */
export function softLabelFromLogprobs(
  tokens: readonly TokenLogprob[],
  grade: number,
  maxGrade: number,
): number[] | undefined {
  const position = gradeTokenPosition(tokens, grade);
  if (position === undefined) return undefined;
  const logits = new Array<number>(maxGrade + 1).fill(Number.NEGATIVE_INFINITY);
  const at = tokens[position]!;
  for (const alternative of [{ token: at.token, logprob: at.logprob }, ...at.top]) {
    const text = alternative.token.trim();
    if (!/^\d+$/.test(text)) continue;
    const g = Number(text);
    if (g <= maxGrade) logits[g] = Math.max(logits[g]!, alternative.logprob);
  }
  const top = Math.max(...logits);
  if (!Number.isFinite(top)) return undefined;
  const weights = logits.map((logprob) => Math.exp(logprob - top));
  const total = weights.reduce((sum, w) => sum + w, 0);
  return weights.map((w) => w / total);
}

/** Index of the token that holds the grade's digits right after `"grade":`, if one token holds them all. */
function gradeTokenPosition(tokens: readonly TokenLogprob[], grade: number): number | undefined {
  const digits = String(grade);
  let text = '';
  for (let i = 0; i < tokens.length; i++) {
    const before = text;
    text += tokens[i]!.token;
    const match = /"grade"\s*:\s*"?$/.exec(before);
    const bare = before.trim() === '' && i === 0;
    if ((match !== null || bare) && tokens[i]!.token.trim() === digits) return i;
  }
  return undefined;
}
