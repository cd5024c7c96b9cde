// The in-process judge on sift's own decoder runtime: the policy's chat prompt runs through a local
// instruct model (SmolLM2-135M-Instruct by default), whose answer is constrained to the grade schema and
// whose grade-token probabilities are kept as the soft label. No server, no network.

import { openDecoder } from '../models/index.js';
import { type ChatJudgeOptions, createChatJudge } from './chat-judge.js';
import { LocalChatBackend } from './local-chat-backend.js';
import type { Policy } from './policy.js';
import type { Judge } from './types.js';

/** What `--judge default` resolves to (a decoder id in the model registry, ":int8" for int8 weights). */
export const DEFAULT_LOCAL_JUDGE = 'smollm2-135m-instruct-q4';

/**
 * Characters of document text the local judge reads: a 135M model gains little from long inputs and
 * every 4 characters cost a token of prefill. Recorded in the prompt hash of every label.
 */
export const LOCAL_MAX_DOC_CHARS = 1200;

/** The id a local judge over this model reference labels as (`local:<id>`, `:int8` kept). */
export function localJudgeId(modelRef: string): string {
  const [id = DEFAULT_LOCAL_JUDGE, variant] = modelRef.split(':');
  return `local:${variant === 'int8' ? `${id}:int8` : id}`;
}

export async function openLocalJudge(
  modelRef: string,
  options: { policy: Policy; quiet?: boolean; chat?: ChatJudgeOptions; threads?: number },
): Promise<Judge> {
  const [id = DEFAULT_LOCAL_JUDGE, variant] = modelRef.split(':');
  const decoder = await openDecoder(id, {
    dtype: variant === 'int8' ? 'int8' : 'fp32',
    quiet: options.quiet ?? false,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  const backend = new LocalChatBackend(decoder);
  return createChatJudge(backend, {
    maxTokens: 48,
    ...options.chat,
    id: `local:${decoder.id}`,
    // The local backend always has the grade logits, so soft labels cost nothing.
    softLabels: true,
    prompt: { maxDocChars: LOCAL_MAX_DOC_CHARS, ...options.chat?.prompt },
  });
}
