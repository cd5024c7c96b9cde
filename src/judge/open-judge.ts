// Resolves what `--judge` names: `default` (sift's local model), an http(s) URL (an OpenAI-compatible
// server), or a local model id.

import { type ChatJudgeOptions, createChatJudge } from './chat-judge.js';
import { type HttpBackendOptions, openHttpChatBackend } from './http-backend.js';
import { DEFAULT_LOCAL_JUDGE, openLocalJudge } from './local-judge.js';
import type { Policy } from './policy.js';
import type { Judge } from './types.js';

export interface OpenJudgeOptions {
  policy: Policy;
  quiet?: boolean;
  /** For URL judges: everything but the URL (model, key, timeouts, retries, limits). */
  http?: Omit<HttpBackendOptions, 'url'>;
  /** For judges over chat backends: prompt, retries of invalid answers, soft labels, prices. */
  chat?: ChatJudgeOptions;
}

export function isUrlJudge(spec: string): boolean {
  return /^https?:\/\//i.test(spec);
}

export async function openJudge(spec: string, options: OpenJudgeOptions): Promise<Judge> {
  if (isUrlJudge(spec)) {
    const backend = await openHttpChatBackend({ ...options.http, url: spec });
    return createChatJudge(backend, options.chat);
  }
  const modelId = spec === 'default' ? DEFAULT_LOCAL_JUDGE : spec;
  return openLocalJudge(modelId, {
    policy: options.policy,
    ...(options.quiet !== undefined ? { quiet: options.quiet } : {}),
    ...(options.chat ? { chat: options.chat } : {}),
  });
}
