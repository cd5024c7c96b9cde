// Model-written summaries (the paper's: a small LLM summarises each document offline to a budget). Any
// ChatBackend writes them: sift's own decoder runtime in process (the judge models: Qwen2.5-Coder-1.5B,
// SmolLM2 for tests) or an OpenAI-compatible endpoint. Greedy decoding, so a summary is a function of the
// model, the prompt (its hash names the variant) and the document. The answer is cut to the budget in the
// ranker's tokens; a model that answers nothing usable leaves the document to fall back to truncation.

import { createHash } from 'node:crypto';
import type { ChatBackend } from '../judge/index.js';
import { cutToTokens } from './extractive.js';

/** Characters of document text the summariser reads (a 1.5B model's prompt at ~67 tokens/s on 2 cores). */
export const LLM_SUMMARY_MAX_DOC_CHARS = 3000;

const SYSTEM = [
  "You write short summaries of documents for a search engine's relevance model.",
  'Keep what a searcher would match on: the topic, names, places, skills, requirements, methods and numbers.',
  'Write plain sentences. No preamble, no lists, no opinions.',
].join(' ');

/** The user message; {words}, {title} and {text} are filled in. */
const USER = 'Summarise this document in at most {words} words.\n\nTitle: {title}\n\n{text}';

/** sha256 prefix of the prompt (system message, user template, document cut): a new prompt is a new variant. */
export function llmSummaryPromptHash(): string {
  return createHash('sha256')
    .update(JSON.stringify({ SYSTEM, USER, LLM_SUMMARY_MAX_DOC_CHARS }))
    .digest('hex')
    .slice(0, 12);
}

export interface LlmSummaryOptions {
  /** Token budget in the ranker's tokens, title included. */
  budget: number;
  countTokens: (text: string) => number;
  signal?: AbortSignal;
}

export async function llmSummary(
  backend: ChatBackend,
  doc: { title: string; text: string },
  options: LlmSummaryOptions,
): Promise<string> {
  const titleTokens = doc.title.trim() === '' ? 0 : options.countTokens(doc.title) + 1;
  const room = options.budget - titleTokens;
  if (room <= 0) return '';
  if (options.countTokens(doc.text) <= room) return doc.text; // already short enough: nothing to gain
  // About 0.75 English words per WordPiece token.
  const words = Math.max(5, Math.floor(room * 0.75));
  const user = USER.replace('{words}', String(words))
    .replace('{title}', doc.title.trim() === '' ? '(none)' : doc.title)
    .replace('{text}', doc.text.slice(0, LLM_SUMMARY_MAX_DOC_CHARS));
  const completion = await backend.complete(
    [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: user },
    ],
    { maxTokens: Math.ceil(room * 1.5) + 8, temperature: 0 },
    options.signal,
  );
  const answer = completion.content.replace(/\s+/g, ' ').trim();
  return answer === '' ? '' : cutToTokens(answer, room, options.countTokens);
}
