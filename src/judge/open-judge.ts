// Resolves what `--judge` names: `default` (Qwen2.5-Coder-1.5B-Instruct on llama.cpp, a scoring judge),
// `llama:<model id>` (another registry decoder on llama.cpp), an http(s) URL (an OpenAI-compatible
// server), or a registry decoder id, optionally `local:<id>` (sift's own decoder runtime, e.g. the small
// SmolLM2 judge for fast tests).

import { modelSpec } from '../models/index.js';
import { type ChatJudgeOptions, createChatJudge } from './chat-judge.js';
import { type HttpBackendOptions, openHttpChatBackend } from './http-backend.js';
import { DEFAULT_LLAMA_JUDGE_MODEL, openLlamaJudge } from './llama-judge.js';
import { localJudgeId, openLocalJudge } from './local-judge.js';
import type { Policy } from './policy.js';
import type { Judge } from './types.js';

export interface OpenJudgeOptions {
  policy: Policy;
  quiet?: boolean;
  /** For URL judges: everything but the URL (model, key, timeouts, retries, limits). */
  http?: Omit<HttpBackendOptions, 'url'>;
  /** For judges over chat backends: prompt, retries of invalid answers, soft labels, prices. */
  chat?: ChatJudgeOptions;
  /** For llama.cpp and sift-runtime judges: threads (default every core). */
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
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
}

/** The id a judge will label as, and for a URL judge the model it will ask for. */
export interface JudgeIdentity {
  id: string;
  model?: string;
}

/**
 * What `openJudge(spec)` would label as, without loading a model: a queue producer needs the judge id
 * to find pending pairs, and it may run where the model is not. A URL judge with no `--model` asks the
 * server which model it serves (a cheap request), and pins it, so every worker asks for the same one.
 */
export async function resolveJudgeIdentity(
  spec: string,
  options: Pick<OpenJudgeOptions, 'http'> = {},
): Promise<JudgeIdentity> {
  if (isUrlJudge(spec)) {
    const model = options.http?.model ?? (await openHttpChatBackend({ ...options.http, url: spec })).model;
    return { id: `chat:${model}`, model };
  }
  const resolved = spec === 'default' ? DEFAULT_JUDGE : spec;
  // modelSpec throws E_MODEL_UNKNOWN for an id the registry lacks: better here than in every worker.
  if (resolved.startsWith('llama:')) {
    modelSpec(resolved.slice('llama:'.length));
    return { id: resolved };
  }
  const modelRef = resolved.startsWith('local:') ? resolved.slice('local:'.length) : resolved;
  modelSpec(modelRef.split(':')[0] ?? '');
  return { id: localJudgeId(modelRef) };
}
