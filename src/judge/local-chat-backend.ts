// A ChatBackend on sift's own decoder runtime: ChatML prompts, greedy (or sampled) decoding over a KV
// cache, and schema-constrained answers for the grade schema.
//
// Constrained decoding for {"grade": <one of the policy's levels>, "rationale": "<text>"}: the JSON
// scaffolding is forced, the grade is the most likely of the allowed digit tokens (its log probabilities
// become the soft label), and the rationale is generated until a quote or newline, then JSON-escaped.
// So a small local model can never answer with malformed JSON or an out-of-range grade.
// Prompts of one labelling job share the policy's system message: the longest prefix of the previous
// prompt is kept as a KV cache and only the rest is prefilled.

import { SiftError } from '../errors.js';
import { type DecoderModel, type KvCache, truncateCache } from '../models/index.js';
import type {
  ChatBackend,
  ChatMessage,
  Completion,
  CompletionOptions,
  JsonSchema,
  TokenLogprob,
} from './types.js';

export interface LocalChatBackendOptions {
  /** System message used when the conversation has none (the model's own default). */
  defaultSystem?: string;
  /** Longest rationale in tokens. Default 32. */
  maxRationaleTokens?: number;
  /** Seed for sampling when temperature > 0. */
  seed?: number;
}

const IM_START = '<|im_start|>';
const IM_END = '<|im_end|>';

export class LocalChatBackend implements ChatBackend {
  readonly model: string;
  private readonly vocab: number[];
  private readonly endId: number;
  private prefixCache: { ids: number[]; cache: KvCache } | undefined;
  private random: () => number;

  constructor(
    private readonly decoder: DecoderModel,
    private readonly options: LocalChatBackendOptions = {},
  ) {
    this.model = decoder.id;
    const template = decoder.tokenizer.chatTemplate ?? '';
    if (!template.includes(IM_START)) {
      throw new SiftError(
        'E_MODEL_CONFIG',
        `${decoder.id} has no ChatML chat template; it cannot serve chat`,
        {
          field: 'tokenizer.chat_template',
        },
      );
    }
    const end = decoder.tokenizer.tokenizer.tokenToId(IM_END);
    if (end === undefined) throw new SiftError('E_MODEL_CONFIG', `${decoder.id} has no ${IM_END} token`);
    this.endId = end;
    this.vocab = Array.from({ length: decoder.config.vocabSize }, (_, i) => i);
    let state = options.seed ?? 0x9e3779b9;
    this.random = () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** The ChatML prompt, ending with the assistant's turn opened. */
  renderPrompt(messages: readonly ChatMessage[]): string {
    const all =
      messages[0]?.role === 'system' || this.options.defaultSystem === undefined
        ? messages
        : [{ role: 'system' as const, content: this.options.defaultSystem }, ...messages];
    return `${all.map((m) => `${IM_START}${m.role}\n${m.content}${IM_END}\n`).join('')}${IM_START}assistant\n`;
  }

  async complete(
    messages: ChatMessage[],
    options: CompletionOptions,
    signal?: AbortSignal,
  ): Promise<Completion> {
    const promptIds = this.decoder.encode(this.renderPrompt(messages));
    const grades = gradeEnum(options.jsonSchema?.schema);
    let state = await this.start(promptIds);
    const generated: number[] = [];
    const step = async (ids: number[]) => {
      signal?.throwIfAborted();
      const result = await this.decoder.prefill({
        rows: [ids],
        past: state.cache,
        logitIds: this.vocab,
        wantCache: true,
      });
      if (!result.cache) throw new Error('decoder returned no cache');
      state = { cache: result.cache, logits: result.logits };
      generated.push(...ids);
    };

    if (grades) {
      const scaffold = '{"grade": ';
      await step(this.decoder.encode(scaffold));
      const candidates = grades.map((g) => ({ grade: g, id: this.singleDigit(g) }));
      const logZ = logSumExp(state.logits);
      const scored = candidates.map((c) => ({ ...c, logprob: (state.logits[c.id] ?? 0) - logZ }));
      const chosen =
        options.temperature > 0
          ? this.sample(
              scored.map((s) => s.logprob),
              options.temperature,
            )
          : scored.reduce((best, s, i) => (s.logprob > (scored[best]?.logprob ?? -Infinity) ? i : best), 0);
      const pick = scored[chosen] ?? scored[0];
      if (!pick) throw new SiftError('E_BAD_ARGUMENT', 'the grade schema allows no grades');
      await step([pick.id, ...this.decoder.encode(', "rationale": "')]);
      const limit = Math.min(options.maxTokens, this.options.maxRationaleTokens ?? 32);
      const rationaleIds: number[] = [];
      for (let i = 0; i < limit; i++) {
        const next = this.next(state.logits, options.temperature);
        const piece = this.decoder.tokenizer.tokenizer.decode([next], { skipSpecialTokens: false });
        if (next === this.endId || /["\n]/.test(piece)) break;
        rationaleIds.push(next);
        await step([next]);
      }
      const rationale = this.decoder.tokenizer.tokenizer.decode(rationaleIds).trim();
      const content = `${scaffold}${pick.grade}, "rationale": ${JSON.stringify(rationale)}}`;
      const logprobs: TokenLogprob[] = [
        { token: scaffold, logprob: 0, top: [] },
        {
          token: String(pick.grade),
          logprob: pick.logprob,
          top: scored.map((s) => ({ token: String(s.grade), logprob: s.logprob })),
        },
        { token: content.slice(scaffold.length + String(pick.grade).length), logprob: 0, top: [] },
      ];
      return {
        content,
        usage: { prompt_tokens: promptIds.length, completion_tokens: generated.length },
        finishReason: 'stop',
        ...(options.topLogprobs ? { logprobs } : {}),
      };
    }

    const output: number[] = [];
    let finishReason: 'stop' | 'length' = 'length';
    for (let i = 0; i < options.maxTokens; i++) {
      const next = this.next(state.logits, options.temperature);
      if (next === this.endId) {
        finishReason = 'stop';
        break;
      }
      output.push(next);
      if (i + 1 < options.maxTokens) await step([next]);
    }
    return {
      content: this.decoder.tokenizer.tokenizer.decode(output),
      usage: { prompt_tokens: promptIds.length, completion_tokens: output.length },
      finishReason,
    };
  }

  async close(): Promise<void> {
    this.prefixCache = undefined;
    await this.decoder.release();
  }

  /** Prefills the prompt, reusing the cached KV of the longest prefix shared with the previous prompt. */
  private async start(ids: number[]): Promise<{ cache: KvCache; logits: Float32Array }> {
    const previous = this.prefixCache;
    let common = 0;
    if (previous)
      while (common < previous.ids.length && common < ids.length - 1 && previous.ids[common] === ids[common])
        common++;
    let past = this.decoder.emptyCache();
    if (previous && common === previous.ids.length) past = previous.cache;
    else if (previous && common > 0) past = truncateCache(previous.cache, common);
    else common = 0;
    const rest = ids.slice(common);
    const result = await this.decoder.prefill({ rows: [rest], past, logitIds: this.vocab, wantCache: true });
    if (!result.cache) throw new Error('decoder returned no cache');
    // Keep the system message's KV (the part that repeats across a job's prompts) for the next call.
    const systemEnd = ids.indexOf(this.endId);
    if (systemEnd > 0)
      this.prefixCache = {
        ids: ids.slice(0, systemEnd + 1),
        cache: truncateCache(result.cache, systemEnd + 1),
      };
    return { cache: result.cache, logits: result.logits };
  }

  private next(logits: Float32Array, temperature: number): number {
    if (temperature <= 0) {
      let best = 0;
      for (let i = 1; i < logits.length; i++) if ((logits[i] ?? 0) > (logits[best] ?? 0)) best = i;
      return best;
    }
    return this.sample(Array.from(logits), temperature);
  }

  private sample(logits: readonly number[], temperature: number): number {
    const top = Math.max(...logits);
    const weights = logits.map((l) => Math.exp((l - top) / temperature));
    let u = this.random() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i] ?? 0;
      if (u <= 0) return i;
    }
    return weights.length - 1;
  }

  private singleDigit(grade: number): number {
    const ids = this.decoder.encode(String(grade));
    if (ids.length !== 1 || ids[0] === undefined) {
      throw new SiftError('E_BAD_ARGUMENT', `grade ${grade} is not one token for ${this.model}`, {
        field: 'grade',
      });
    }
    return ids[0];
  }
}

/** The allowed integer grades of a grade schema ({properties: {grade: {enum | minimum/maximum}}}), if it is one. */
function gradeEnum(schema: JsonSchema | undefined): number[] | undefined {
  const grade = (schema?.properties as Record<string, Record<string, unknown>> | undefined)?.grade;
  if (!grade) return undefined;
  if (Array.isArray(grade.enum) && grade.enum.every((g) => Number.isInteger(g)))
    return grade.enum as number[];
  const { minimum, maximum } = grade;
  if (
    Number.isInteger(minimum) &&
    Number.isInteger(maximum) &&
    (maximum as number) - (minimum as number) < 100
  ) {
    return Array.from(
      { length: (maximum as number) - (minimum as number) + 1 },
      (_, i) => (minimum as number) + i,
    );
  }
  return undefined;
}

function logSumExp(values: Float32Array): number {
  let top = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > top) top = v;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - top);
  return top + Math.log(sum);
}
