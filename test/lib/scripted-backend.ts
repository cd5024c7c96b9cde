// A scripted ChatBackend for tests (it lives in test/lib so it never ships): not a model, it grades by
// word overlap between the query and the document, so the plumbing around a chat backend (HTTP client
// ↔ chat server, answer parsing and retries, the ChatBackend contract) is tested in milliseconds.
// The real models are tested against the same contract (test/contracts/chat-backend.test.ts).

import type { ChatBackend, ChatMessage, Completion, CompletionOptions } from '../../src/judge/index.js';

export interface ScriptedBackendOptions {
  /** Top grade of the policy in use. Default 3. */
  maxGrade?: number;
  /** Milliseconds each completion takes (a stand-in for model latency). Default 0. */
  delayMs?: number;
  /** Answers to give first, in order, before grading normally (e.g. garbage for retry tests). */
  script?: string[];
}

export function createScriptedBackend(options: ScriptedBackendOptions = {}): ChatBackend & { calls: number } {
  const maxGrade = options.maxGrade ?? 3;
  const script = [...(options.script ?? [])];
  const backend = {
    model: 'scripted-overlap',
    calls: 0,
    async complete(
      messages: ChatMessage[],
      completion: CompletionOptions,
      signal?: AbortSignal,
    ): Promise<Completion> {
      backend.calls++;
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      signal?.throwIfAborted();
      const user = messages.find((m) => m.role === 'user')?.content ?? '';
      const scripted = script.shift();
      const grade = overlapGrade(user, maxGrade);
      const content = scripted ?? JSON.stringify({ grade, rationale: 'scripted: word overlap' });
      const promptTokens = Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4);
      return {
        content,
        usage: { prompt_tokens: promptTokens, completion_tokens: Math.ceil(content.length / 4) },
        ...(completion.topLogprobs && scripted === undefined
          ? { logprobs: gradeLogprobs(content, grade, maxGrade) }
          : {}),
      };
    },
  };
  return backend;
}

/** Share of the query's words (4+ letters) found in the document, scaled to 0..maxGrade. */
function overlapGrade(user: string, maxGrade: number): number {
  const query = /^Query: (.*)$/m.exec(user)?.[1] ?? '';
  const doc = user.slice(user.indexOf('\n')).toLowerCase();
  const words = [...new Set(query.toLowerCase().match(/[a-z]{4,}/g) ?? [])];
  if (words.length === 0) return 0;
  const share = words.filter((w) => doc.includes(w)).length / words.length;
  return Math.min(maxGrade, Math.floor(share * (maxGrade + 1)));
}

/** Tokenises the answer character by character, with made-up alternatives at the grade digit. */
function gradeLogprobs(content: string, grade: number, maxGrade: number): Completion['logprobs'] {
  const at = content.indexOf(String(grade), content.indexOf('"grade"'));
  return [...content].map((token, i) => ({
    token,
    logprob: i === at ? Math.log(0.7) : 0,
    top:
      i === at
        ? Array.from({ length: maxGrade + 1 }, (_, g) => ({
            token: String(g),
            logprob: Math.log(g === grade ? 0.7 : 0.3 / maxGrade),
          }))
        : [],
  }));
}
