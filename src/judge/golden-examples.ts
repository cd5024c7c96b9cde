// Few-shot examples from a golden set: pairs that people graded, written into a policy's `## Examples`
// section so that the judge sees how this corpus's people use the grades (issue 20). LinkedIn fine-tunes
// its judge on a golden set; a 1.5B judge cannot be fine-tuned on two cores in useful time, but it can
// be shown part of one.
//
// The examples go into the policy text itself, so they are part of the policy's hash: every label made
// with them says so, and labels made without them never pass as the same. The system turn is evaluated
// once per job, so examples cost prompt tokens once, not per pair; they do take context room from the
// document (the document side is truncated first, as for any long policy).
//
// Which pairs: one per policy grade where the golden set has one (a seeded choice), each human grade put
// on the policy's scale as round(grade / humanMax · policyMax), the same normalised gain the calibration
// predicts. The caller passes only pairs of queries it will not evaluate on, so no judged pair's own
// human grade is shown to the judge.

import { Mulberry32 } from '../util/index.js';
import { type Policy, parsePolicy } from './policy.js';

export interface GoldenPair {
  query: string;
  title: string;
  text: string;
  /** The human grade on the golden set's own scale 0..humanMax. */
  grade: number;
}

export interface GoldenExampleOptions {
  /** The golden set's top grade. */
  humanMax: number;
  /** Examples per policy grade. Default 1. */
  perGrade?: number;
  /** Characters of document text shown per example. Default 300. */
  maxTextChars?: number;
  seed?: number;
}

/** The golden pairs chosen as examples, each with its grade on the policy's scale. */
export function chooseGoldenExamples(
  pairs: readonly GoldenPair[],
  policy: Policy,
  options: GoldenExampleOptions,
): Array<GoldenPair & { policyGrade: number }> {
  const random = new Mulberry32(options.seed ?? 42);
  const perGrade = options.perGrade ?? 1;
  const chosen: Array<GoldenPair & { policyGrade: number }> = [];
  for (const level of policy.levels) {
    const candidates = pairs.filter(
      (pair) => policyGradeOf(pair.grade, options.humanMax, policy.maxGrade) === level.grade,
    );
    random.shuffle(candidates);
    for (const pair of candidates.slice(0, perGrade)) chosen.push({ ...pair, policyGrade: level.grade });
  }
  return chosen;
}

/** A human grade on the policy's scale: the same fraction of the top grade, rounded. */
export function policyGradeOf(humanGrade: number, humanMax: number, policyMax: number): number {
  return Math.round((Math.max(0, humanGrade) / Math.max(1, humanMax)) * policyMax);
}

/**
 * The policy with the examples added to its `## Examples` section (created when it has none), under a
 * subheading that says where they come from. Returns a parsed policy with its own hash.
 */
export function withGoldenExamples(
  policy: Policy,
  examples: ReadonlyArray<GoldenPair & { policyGrade: number }>,
  options: Pick<GoldenExampleOptions, 'maxTextChars'> = {},
): Policy {
  const maxText = options.maxTextChars ?? 300;
  const lines = [
    '### Graded by people for this collection',
    '',
    ...examples.map((example) => {
      const text = oneLine(example.text);
      const shown = text.length > maxText ? `${text.slice(0, maxText).trimEnd()} …` : text;
      const title = oneLine(example.title);
      return `- Query "${oneLine(example.query)}"; document ${title ? `"${title}" — ` : ''}"${shown}": grade ${example.policyGrade}.`;
    }),
  ];
  const text = insertIntoExamples(policy.text, lines.join('\n'));
  return parsePolicy(text, `${policy.source}+golden-examples`);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Appends `block` at the end of the `## Examples` section, or adds the section at the end. */
function insertIntoExamples(policyText: string, block: string): string {
  const lines = policyText.replace(/\n+$/, '').split('\n');
  const start = lines.findIndex((line) => /^##\s+examples\s*$/i.test(line));
  if (start < 0) return `${lines.join('\n')}\n\n## Examples\n\n${block}\n`;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^##\s/.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  while (end > start + 1 && lines[end - 1]!.trim() === '') end--;
  return (
    [...lines.slice(0, end), '', block, ...(end < lines.length ? ['', ...lines.slice(end)] : [])].join('\n') +
    '\n'
  );
}
