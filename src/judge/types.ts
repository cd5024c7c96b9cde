// The contracts of the judge stage: a Judge grades one (query, document) pair under a policy; a
// ChatBackend completes chat messages (an HTTP endpoint, or sift's own local model behind the lead's
// runtime). Judges built on chat backends share one prompt, one output parser and one retry policy.

import { type ErrorCode, type ErrorContext, SiftError } from '../errors.js';
import type { Policy } from './policy.js';

export interface JudgeDocument {
  id?: string;
  title: string;
  text: string;
}

export interface JudgeRequest {
  policy: Policy;
  query: string;
  document: JudgeDocument;
}

/** Tokens spent on one judgement (every attempt counted), and their price when prices were given. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** USD, from the per-million-token prices in the judge's options; absent when none were given. */
  costUsd?: number;
}

export interface Judgement {
  /** An integer in 0..policy.maxGrade. */
  grade: number;
  /** The judge's short reason, when it gave one. */
  rationale?: string;
  /**
   * Probability of each grade (index = grade, sums to 1), when the backend exposes logits or log
   * probabilities; labels used as soft targets train better rankers (../shared/SYSTEM.md §2).
   */
  softLabel?: number[];
  /** Raw scores of each scoring form, for judges that read probabilities (scoring-judge.ts). */
  scores?: JudgeScores;
  usage: TokenUsage;
  /** Wall-clock milliseconds for the whole judgement, retries included. */
  latencyMs: number;
  /** Calls made to the backend (1 when the first answer was valid). */
  attempts: number;
  /** sha256 of how the prompt was built (template version, policy, truncation): part of a label's identity. */
  promptHash: string;
}

/** What a scoring judge read for one pair, before any calibration (kept with every label). */
export interface JudgeScores {
  /** Σ grade · p(grade) over the valid grade digits (renormalised). */
  expectedGrade?: number;
  /** Probability mass on the valid grade digits before renormalising (how well the answer form held). */
  answerMass?: number;
  /** P(yes) / (P(yes) + P(no)) to "does the document meet the need". */
  pYes?: number;
  /** Mean log p(query token | document, earlier query tokens): query likelihood (UPR). */
  queryLogLikelihood?: number;
}

export interface Judge {
  /** Stable identity of the model and its settings, e.g. `chat:gpt-4o-mini` or `local:smollm2-135m-instruct`. */
  readonly id: string;
  /** Grades one pair. Fails with a JudgeFailure (never a made-up grade); honours `signal`. */
  judge(request: JudgeRequest, signal?: AbortSignal): Promise<Judgement>;
  /** Releases models, sockets and timers. */
  close(): Promise<void>;
}

/** Why a judgement failed; callers record it as a failure and never as a label. */
export type JudgeFailureCode = Extract<ErrorCode, 'E_JUDGE_HTTP' | 'E_JUDGE_TIMEOUT' | 'E_JUDGE_OUTPUT'>;

export class JudgeFailure extends SiftError {
  override readonly code: JudgeFailureCode;
  /** Calls made to the backend before giving up. */
  readonly attempts: number;
  /** Tokens the failed attempts used (they were paid for). */
  readonly usage: TokenUsage;

  constructor(
    code: JudgeFailureCode,
    detail: string,
    details: { attempts: number; usage?: TokenUsage; context?: ErrorContext; cause?: unknown },
  ) {
    super(code, detail, { ...details.context, attempts: details.attempts }, { cause: details.cause });
    this.name = 'JudgeFailure';
    this.code = code;
    this.attempts = details.attempts;
    this.usage = details.usage ?? { promptTokens: 0, completionTokens: 0 };
  }
}

// ---- chat completions -------------------------------------------------------------------------------

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A JSON Schema object, as sent in OpenAI's `response_format: {type: 'json_schema'}`. */
export type JsonSchema = Record<string, unknown>;

export interface CompletionOptions {
  /** Upper bound on generated tokens. */
  maxTokens: number;
  /** 0 = greedy. */
  temperature: number;
  /** Constrain the output to this schema when the backend can. */
  jsonSchema?: { name: string; schema: JsonSchema };
  /** Ask for the top alternatives of each generated token (OpenAI `logprobs` + `top_logprobs`). */
  topLogprobs?: number;
}

/** One generated token with its log probability and the most likely alternatives at its position. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  top: Array<{ token: string; logprob: number }>;
}

export interface Completion {
  content: string;
  usage: { prompt_tokens: number; completion_tokens: number };
  finishReason?: 'stop' | 'length';
  /** Per generated token, when options.topLogprobs was asked for and the backend has them. */
  logprobs?: TokenLogprob[];
}

/**
 * Anything that completes chat messages: an OpenAI-compatible endpoint over HTTP (http-backend.ts), or a
 * model running in this process. The chat server (chat-server.ts) serves any backend over HTTP.
 */
export interface ChatBackend {
  /** The model name reported to clients and used in judge ids. */
  readonly model: string;
  complete(messages: ChatMessage[], options: CompletionOptions, signal?: AbortSignal): Promise<Completion>;
  close?(): Promise<void>;
}
