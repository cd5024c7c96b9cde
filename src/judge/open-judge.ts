// Resolves what `--judge` names: `default` (Qwen2.5-Coder-1.5B-Instruct on llama.cpp, a scoring judge),
// `llama:<model id>` (another registry decoder on llama.cpp), an http(s) URL (an OpenAI-compatible
// server), or a registry decoder id, optionally `local:<id>` (sift's own decoder runtime, e.g. the small
// SmolLM2 judge for fast tests).

import { type ChatJudgeOptions, createChatJudge } from './chat-judge.js';
import { type HttpBackendOptions, openHttpChatBackend } from './http-backend.js';
import { DEFAULT_LLAMA_JUDGE_MODEL, openLlamaJudge } from './llama-judge.js';
import { openLocalJudge } from './local-judge.js';
import type { Policy } from './policy.js';
import type { Judge } from './types.js';

export interface OpenJudgeOptions {
  policy: Policy;
  quiet?: boolean;
  /** For URL judges: everything but the URL (model, key, timeouts, retries, limits). */
  http?: Omit<HttpBackendOptions, 'url'>;
  /** For judges over chat backends: prompt, retries of invalid answers, soft labels, prices. */
  chat?: ChatJudgeOptions;
  /** For llama.cpp judges: threads (default every core). */
  threads?: number;
}

/** What `--judge default` resolves to. */
export const DEFAULT_JUDGE = `llama:${DEFAULT_LLAMA_JUDGE_MODEL}`;

export function isUrlJudge(spec: string): boolean {
  return /^https?:\/\//i.test(spec);
}

export async function openJudge(spec: string, options: OpenJudgeOptions): Promise<Judge> {
  if (isUrlJudge(spec)) {
    const backend = await openHttpChatBackend({ ...options.http, url: spec });
    return createChatJudge(backend, options.chat);
  }
  const resolved = spec === 'default' ? DEFAULT_JUDGE : spec;
  if (resolved.startsWith('llama:')) {
    const maxDocChars = options.chat?.prompt?.maxDocChars;
    return openLlamaJudge(resolved.slice('llama:'.length), {
      ...(options.quiet !== undefined ? { quiet: options.quiet } : {}),
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(maxDocChars !== undefined ? { prompt: { maxDocChars } } : {}),
    });
  }
  const modelId = resolved.startsWith('local:') ? resolved.slice('local:'.length) : resolved;
  return openLocalJudge(modelId, {
    policy: options.policy,
    ...(options.quiet !== undefined ? { quiet: options.quiet } : {}),
    ...(options.chat ? { chat: options.chat } : {}),
  });
}
