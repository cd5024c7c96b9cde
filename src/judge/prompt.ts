// Builds a judge's chat prompt from a policy: the system message is the policy itself plus the answer
// format, the user message is the query and the (truncated) document. Its identity is a hash, recorded
// with every label, so a change of template or truncation is visible in the store.

import { createHash } from 'node:crypto';
import type { Policy } from './policy.js';
import type { ChatMessage, JsonSchema, JudgeDocument } from './types.js';

/** Bump when the wording below changes: labels made with another template must not pass as the same. */
export const PROMPT_TEMPLATE_VERSION = 1;

export interface PromptOptions {
  /**
   * Characters of document text kept (title excluded), cut at a word boundary. Characters stand in for
   * tokens (about 4 per token in English): 2,000 characters ≈ 500 tokens. Default 2000; must be ≥ 1.
   */
  maxDocChars?: number;
  /** Characters of the query kept. Default 500. */
  maxQueryChars?: number;
}

export const DEFAULT_MAX_DOC_CHARS = 2000;
const DEFAULT_MAX_QUERY_CHARS = 500;

export function buildJudgeMessages(
  policy: Policy,
  query: string,
  document: JudgeDocument,
  options: PromptOptions = {},
): ChatMessage[] {
  const maxDoc = options.maxDocChars ?? DEFAULT_MAX_DOC_CHARS;
  const maxQuery = options.maxQueryChars ?? DEFAULT_MAX_QUERY_CHARS;
  const title = document.title.trim();
  const user = [
    `Query: ${truncate(query.trim(), maxQuery)}`,
    '',
    ...(title ? [`Document title: ${truncate(title, maxQuery)}`] : []),
    `Document text: ${truncate(document.text.trim(), maxDoc)}`,
    '',
    `Grade this document for this query under the policy. Answer with JSON only: {"grade": <0-${policy.maxGrade}>, "rationale": "<one short sentence>"}`,
  ].join('\n');
  return [
    { role: 'system', content: systemMessage(policy) },
    { role: 'user', content: user },
  ];
}

function systemMessage(policy: Policy): string {
  const grades = policy.levels.map((level) => `${level.grade} = ${level.label}`).join(', ');
  return `${policy.body}

## Answer format

Reply with one JSON object and nothing else: {"grade": <integer>, "rationale": "<one short sentence>"}.
The grade is one of ${grades}. The rationale says in at most 30 words why.`;
}

/** The schema of a valid answer under `policy`, for servers that constrain output to a JSON Schema. */
export function gradeSchema(policy: Policy): { name: string; schema: JsonSchema } {
  return {
    name: 'relevance_grade',
    schema: {
      type: 'object',
      properties: {
        grade: { type: 'integer', enum: policy.levels.map((level) => level.grade) },
        rationale: { type: 'string', maxLength: 400 },
      },
      required: ['grade', 'rationale'],
      additionalProperties: false,
    },
  };
}

/** sha256 of everything that shapes the prompt besides the pair itself. */
export function promptHash(policy: Policy, options: PromptOptions = {}): string {
  const identity = JSON.stringify({
    template: PROMPT_TEMPLATE_VERSION,
    policy: policy.hash,
    maxDocChars: options.maxDocChars ?? DEFAULT_MAX_DOC_CHARS,
    maxQueryChars: options.maxQueryChars ?? DEFAULT_MAX_QUERY_CHARS,
  });
  return createHash('sha256').update(identity).digest('hex');
}

/** Cuts text to at most `max` characters, at the last space when one is near, marking the cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${space > max * 0.8 ? cut.slice(0, space) : cut} …`;
}
