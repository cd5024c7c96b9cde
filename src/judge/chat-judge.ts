// A Judge over any ChatBackend: builds the prompt from the policy, asks for schema-constrained JSON,
// parses the grade defensively, and retries garbage (unparseable or out-of-range answers) a few times
// before recording a failure. Transport retries (timeouts, 429, 5xx) belong to the backend.

import { isSiftError } from '../errors.js';
import { parseJudgeAnswer, softLabelFromLogprobs } from './judge-output.js';
import { buildJudgeMessages, gradeSchema, type PromptOptions, promptHash } from './prompt.js';
import {
  type ChatBackend,
  type Judge,
  JudgeFailure,
  type Judgement,
  type JudgeRequest,
  type TokenUsage,
} from './types.js';

/** Prices in USD per million tokens, for cost accounting (e.g. {input: 0.15, output: 0.6}). */
export interface TokenPrices {
  inputPerMillion: number;
  outputPerMillion: number;
}

export interface ChatJudgeOptions {
  /** The judge's identity in the store. Default `chat:<backend.model>`. */
  id?: string;
  prompt?: PromptOptions;
  /** Tokens the answer may take. Default 200 (a grade and one sentence need about 40). */
  maxTokens?: number;
  /** Default 0: grading should be reproducible. */
  temperature?: number;
  /**
   * Temperature of the calls that follow an invalid answer. Default 0.7: a greedy decoder asked again
   * would repeat its garbage word for word.
   */
  retryTemperature?: number;
  /** Calls per pair before an invalid answer becomes a failure. Default 3; must be ≥ 1. */
  outputAttempts?: number;
  /**
   * Ask for the top log probabilities of each token and turn those at the grade into a soft label.
   * Default false (not every server supports it). Number of alternatives when true: 10.
   */
  softLabels?: boolean;
  prices?: TokenPrices;
}

export function createChatJudge(backend: ChatBackend, options: ChatJudgeOptions = {}): Judge {
  const id = options.id ?? `chat:${backend.model}`;
  const attemptsAllowed = Math.max(1, options.outputAttempts ?? 3);
  return {
    id,
    async judge(request: JudgeRequest, signal?: AbortSignal): Promise<Judgement> {
      const started = performance.now();
      const { policy } = request;
      const messages = buildJudgeMessages(policy, request.query, request.document, options.prompt);
      const usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
      let lastError: unknown;
      for (let attempt = 1; attempt <= attemptsAllowed; attempt++) {
        const completion = await backend
          .complete(
            messages,
            {
              maxTokens: options.maxTokens ?? 200,
              temperature: attempt === 1 ? (options.temperature ?? 0) : (options.retryTemperature ?? 0.7),
              jsonSchema: gradeSchema(policy),
              ...(options.softLabels ? { topLogprobs: 10 } : {}),
            },
            signal,
          )
          .catch((error: unknown) => {
            // Transport failures already went through the backend's own retries.
            if (error instanceof JudgeFailure) {
              throw new JudgeFailure(error.code, error.message, {
                attempts: attempt - 1 + error.attempts,
                usage: priced(usage, options.prices),
                cause: error,
              });
            }
            throw error;
          });
        usage.promptTokens += completion.usage.prompt_tokens;
        usage.completionTokens += completion.usage.completion_tokens;
        try {
          const answer = parseJudgeAnswer(completion.content, policy.maxGrade);
          const softLabel = completion.logprobs
            ? softLabelFromLogprobs(completion.logprobs, answer.grade, policy.maxGrade)
            : undefined;
          return {
            ...answer,
            ...(softLabel ? { softLabel } : {}),
            usage: priced(usage, options.prices),
            latencyMs: performance.now() - started,
            attempts: attempt,
            promptHash: promptHash(policy, options.prompt),
          };
        } catch (error) {
          if (!isSiftError(error, 'E_JUDGE_OUTPUT')) throw error;
          lastError = error;
        }
      }
      const detail = lastError instanceof Error ? lastError.message.replace(/ \[E_JUDGE_OUTPUT\]$/, '') : '';
      throw new JudgeFailure(
        'E_JUDGE_OUTPUT',
        `no valid grade after ${attemptsAllowed} attempts: ${detail}`,
        {
          attempts: attemptsAllowed,
          usage: priced(usage, options.prices),
          cause: lastError,
        },
      );
    },
    async close() {
      await backend.close?.();
    },
  };
}

function priced(usage: TokenUsage, prices: TokenPrices | undefined): TokenUsage {
  if (prices === undefined) return { ...usage };
  const costUsd =
    (usage.promptTokens * prices.inputPerMillion + usage.completionTokens * prices.outputPerMillion) / 1e6;
  return { ...usage, costUsd };
}
