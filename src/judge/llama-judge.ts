// Opens a registry decoder on llama.cpp as a scoring judge (scoring-judge.ts): the default judge,
// Qwen2.5-Coder-1.5B-Instruct, runs here because llama.cpp's Q4_K kernels are several times faster on a
// CPU than a dequantised float32 graph.

import { join } from 'node:path';
import { SiftError } from '../errors.js';
import { ensureModel, modelSpec } from '../models/index.js';
import { LlamaScorer } from '../runtime/index.js';
import { createScoringJudge, type ScoringJudgeOptions } from './scoring-judge.js';
import type { Judge } from './types.js';

/** The model behind `--judge default` (../shared/SYSTEM.md §2: a 1.7B relevance teacher; ours is 1.78B). */
export const DEFAULT_LLAMA_JUDGE_MODEL = 'qwen2.5-coder-1.5b-instruct-q4';

export interface OpenLlamaJudgeOptions extends Omit<ScoringJudgeOptions, 'id'> {
  quiet?: boolean;
  /** Threads for llama.cpp. Default: every core. */
  threads?: number;
  /** Context window in tokens. Default 4096 (the policy plus a 2,000-character document fit easily). */
  contextSize?: number;
}

export async function openLlamaJudge(modelId: string, options: OpenLlamaJudgeOptions = {}): Promise<Judge> {
  const spec = modelSpec(modelId);
  if (spec.kind !== 'decoder' || !spec.architecture.chatTemplate) {
    throw new SiftError(
      'E_MODEL_UNKNOWN',
      `"${modelId}" is not an instruction-tuned decoder; a judge needs one`,
      {
        field: 'judge',
      },
    );
  }
  const dir = await ensureModel(modelId, { quiet: options.quiet ?? false });
  const scorer = await LlamaScorer.open(join(dir, spec.architecture.weights), {
    contextSize: options.contextSize ?? 4096,
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  return createScoringJudge(scorer, { ...options, id: `llama:${modelId}` });
}
