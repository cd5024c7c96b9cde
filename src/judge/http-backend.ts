// A ChatBackend over any OpenAI-compatible `/v1/chat/completions` endpoint (OpenAI, vLLM, Ollama,
// llama.cpp server, sift's own chat server): per-call timeouts, retries with exponential backoff and
// full jitter that honour Retry-After, limits on concurrency and request rate, and token accounting.

import { setTimeout as sleep } from 'node:timers/promises';
import { SiftError } from '../errors.js';
import { backoffMs, retryAfterMs } from './backoff.js';
import { RequestLimiter, type RequestLimits } from './request-limiter.js';
import {
  type ChatBackend,
  type ChatMessage,
  type Completion,
  type CompletionOptions,
  JudgeFailure,
  type TokenLogprob,
} from './types.js';

export interface HttpBackendOptions extends RequestLimits {
  /**
   * The API base, e.g. `http://127.0.0.1:8080/v1` or `https://api.openai.com/v1`. A URL ending in
   * `/chat/completions` is accepted too; a bare origin gets `/v1`.
   */
  url: string;
  /** Model to request. Default: the first model the server lists at `/models`. */
  model?: string;
  /** Sent as `Authorization: Bearer <key>`; never logged or stored. */
  apiKey?: string;
  /** Per-call timeout in milliseconds. Default 60,000. */
  timeoutMs?: number;
  /** Calls per request before giving up on timeouts, 429, 5xx and network errors. Default 5; ≥ 1. */
  maxAttempts?: number;
  /** Backoff base and ceiling in milliseconds. Defaults 500 and 30,000. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A Retry-After longer than this fails the call instead of waiting. Default 120,000 ms. */
  maxRetryAfterMs?: number;
  /**
   * How to constrain output: `json_schema` (OpenAI structured outputs; vLLM, llama.cpp and Ollama accept
   * it too), `json_object`, or `none`. Default `json_schema`.
   */
  responseFormat?: 'json_schema' | 'json_object' | 'none';
  /** Injectable for tests. */
  fetch?: typeof fetch;
  random?: () => number;
}

/** Opens a backend; asks the server for its model list when no model is given. */
export async function openHttpChatBackend(options: HttpBackendOptions): Promise<ChatBackend> {
  const base = apiBase(options.url);
  const doFetch = options.fetch ?? fetch;
  const model = options.model ?? (await firstModel(base, options, doFetch));
  return new HttpChatBackend(base, model, options, doFetch);
}

/** Normalises what a user gives into the API base that `/chat/completions` and `/models` hang off. */
export function apiBase(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new SiftError(
      'E_BAD_URL',
      `not a URL: ${JSON.stringify(url)}`,
      { field: 'judge' },
      { cause: error },
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new SiftError('E_BAD_URL', `judge URL must be http(s), not ${parsed.protocol}`, {
      field: 'judge',
    });
  }
  let path = parsed.pathname.replace(/\/+$/, '').replace(/\/chat\/completions$/, '');
  if (path === '') path = '/v1';
  return `${parsed.origin}${path}`;
}

class HttpChatBackend implements ChatBackend {
  private readonly limiter: RequestLimiter;

  constructor(
    private readonly base: string,
    readonly model: string,
    private readonly options: HttpBackendOptions,
    private readonly doFetch: typeof fetch,
  ) {
    this.limiter = new RequestLimiter(options);
  }

  async complete(
    messages: ChatMessage[],
    completion: CompletionOptions,
    signal?: AbortSignal,
  ): Promise<Completion> {
    const body = JSON.stringify(this.requestBody(messages, completion));
    const maxAttempts = Math.max(1, this.options.maxAttempts ?? 5);
    let last: { code: 'E_JUDGE_HTTP' | 'E_JUDGE_TIMEOUT'; detail: string; cause?: unknown } = {
      code: 'E_JUDGE_HTTP',
      detail: 'no attempt made',
    };
    let attempts = 0;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      attempts = attempt;
      const outcome = await this.attempt(body, signal);
      if (outcome.kind === 'ok') return outcome.completion;
      last = outcome;
      if (outcome.kind === 'fatal' || attempt === maxAttempts) break;
      let wait = backoffMs(
        attempt,
        this.options.backoffBaseMs ?? 500,
        this.options.backoffMaxMs ?? 30_000,
        this.options.random,
      );
      if (outcome.retryAfterMs !== undefined) {
        if (outcome.retryAfterMs > (this.options.maxRetryAfterMs ?? 120_000)) {
          last = {
            ...outcome,
            detail: `${outcome.detail}; Retry-After ${outcome.retryAfterMs} ms is beyond the limit`,
          };
          break;
        }
        // The server's wait is a floor; a little jitter on top keeps workers from returning at once.
        wait = outcome.retryAfterMs + Math.round((this.options.random ?? Math.random)() * 250);
        this.limiter.pause(wait);
      }
      await sleep(wait, undefined, signal ? { signal } : {});
    }
    throw new JudgeFailure(last.code, `${this.base}/chat/completions: ${last.detail}`, {
      attempts,
      cause: last.cause,
    });
  }

  async close(): Promise<void> {}

  private requestBody(messages: ChatMessage[], options: CompletionOptions): Record<string, unknown> {
    const format = this.options.responseFormat ?? 'json_schema';
    return {
      model: this.model,
      messages,
      max_tokens: options.maxTokens,
      temperature: options.temperature,
      ...(options.jsonSchema && format === 'json_schema'
        ? { response_format: { type: 'json_schema', json_schema: { ...options.jsonSchema, strict: true } } }
        : {}),
      ...(options.jsonSchema && format === 'json_object' ? { response_format: { type: 'json_object' } } : {}),
      ...(options.topLogprobs ? { logprobs: true, top_logprobs: options.topLogprobs } : {}),
    };
  }

  private async attempt(body: string, signal: AbortSignal | undefined): Promise<Outcome> {
    const release = await this.limiter.acquire(signal);
    const timeoutMs = this.options.timeoutMs ?? 60_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const response = await this.doFetch(`${this.base}/chat/completions`, {
        method: 'POST',
        headers: this.headers(),
        body,
        signal: combined,
      });
      const text = await response.text();
      if (response.ok) return parseCompletion(text);
      const detail = `HTTP ${response.status}${errorMessage(text)}`;
      const retryAfter = retryAfterMs(response.headers);
      if (response.status === 429 || response.status === 408 || response.status >= 500) {
        return {
          kind: 'retry',
          code: 'E_JUDGE_HTTP',
          detail,
          ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
        };
      }
      return { kind: 'fatal', code: 'E_JUDGE_HTTP', detail };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted)
        return {
          kind: 'retry',
          code: 'E_JUDGE_TIMEOUT',
          detail: `no answer within ${timeoutMs} ms`,
          cause: error,
        };
      if (error instanceof SiftError)
        return { kind: 'fatal', code: 'E_JUDGE_HTTP', detail: error.message, cause: error };
      const reason =
        error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error);
      return { kind: 'retry', code: 'E_JUDGE_HTTP', detail: `network error: ${reason}`, cause: error };
    } finally {
      release();
    }
  }

  private headers(): Record<string, string> {
    return {
      'content-type': 'application/json',
      ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
    };
  }
}

type Outcome =
  | { kind: 'ok'; completion: Completion }
  | {
      kind: 'retry' | 'fatal';
      code: 'E_JUDGE_HTTP' | 'E_JUDGE_TIMEOUT';
      detail: string;
      retryAfterMs?: number;
      cause?: unknown;
    };

/** Reads an OpenAI chat.completion; a 200 with a body that is not one is a fatal protocol error. */
function parseCompletion(text: string): Outcome {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {
      kind: 'retry',
      code: 'E_JUDGE_HTTP',
      detail: `response is not JSON: ${JSON.stringify(text.slice(0, 120))}`,
    };
  }
  const body = value as {
    choices?: Array<{
      message?: { content?: unknown };
      finish_reason?: unknown;
      logprobs?: { content?: unknown };
    }>;
    usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
  };
  const choice = body.choices?.[0];
  const content = choice?.message?.content;
  if (typeof content !== 'string') {
    return {
      kind: 'fatal',
      code: 'E_JUDGE_HTTP',
      detail: 'response has no choices[0].message.content string',
    };
  }
  const logprobs = readLogprobs(choice?.logprobs?.content);
  return {
    kind: 'ok',
    completion: {
      content,
      usage: {
        prompt_tokens: typeof body.usage?.prompt_tokens === 'number' ? body.usage.prompt_tokens : 0,
        completion_tokens:
          typeof body.usage?.completion_tokens === 'number' ? body.usage.completion_tokens : 0,
      },
      ...(choice?.finish_reason === 'length' || choice?.finish_reason === 'stop'
        ? { finishReason: choice.finish_reason }
        : {}),
      ...(logprobs ? { logprobs } : {}),
    },
  };
}

function readLogprobs(content: unknown): TokenLogprob[] | undefined {
  if (!Array.isArray(content)) return undefined;
  const tokens: TokenLogprob[] = [];
  for (const entry of content as Array<Record<string, unknown>>) {
    if (typeof entry?.['token'] !== 'string' || typeof entry['logprob'] !== 'number') return undefined;
    const top = Array.isArray(entry['top_logprobs'])
      ? (entry['top_logprobs'] as Array<Record<string, unknown>>)
      : [];
    tokens.push({
      token: entry['token'],
      logprob: entry['logprob'],
      top: top
        .filter((alt) => typeof alt?.['token'] === 'string' && typeof alt['logprob'] === 'number')
        .map((alt) => ({ token: alt['token'] as string, logprob: alt['logprob'] as number })),
    });
  }
  return tokens;
}

/** `: <message>` from an OpenAI-style error body, when there is one. */
function errorMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string') return `: ${message.slice(0, 200)}`;
  } catch {
    // not JSON
  }
  return text.trim() ? `: ${text.trim().slice(0, 200)}` : '';
}

async function firstModel(base: string, options: HttpBackendOptions, doFetch: typeof fetch): Promise<string> {
  let response: Response;
  try {
    response = await doFetch(`${base}/models`, {
      headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    });
  } catch (error) {
    throw new SiftError(
      'E_JUDGE_HTTP',
      `cannot reach ${base}/models to find a model; pass --model`,
      { file: base },
      { cause: error },
    );
  }
  const text = await response.text();
  if (!response.ok) {
    throw new SiftError(
      'E_JUDGE_HTTP',
      `${base}/models: HTTP ${response.status}${errorMessage(text)}; pass --model`,
      { file: base },
    );
  }
  let id: unknown;
  try {
    id = (JSON.parse(text) as { data?: Array<{ id?: unknown }> }).data?.[0]?.id;
  } catch {
    id = undefined;
  }
  if (typeof id !== 'string' || id === '') {
    throw new SiftError('E_JUDGE_HTTP', `${base}/models lists no model; pass --model`, { file: base });
  }
  return id;
}
