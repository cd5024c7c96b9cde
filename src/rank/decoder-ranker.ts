// The decoder-only yes/no ranker: score = p(yes) = e^{l_yes} / (e^{l_yes} + e^{l_no}) from the next-token
// logits at the last position of `[prefix: instructions + query][document][suffix]`, prefill only.
//
// Shared-prefix prefill: the prefix is run once per query and its key/value cache (one row) is broadcast
// to every document of the batch, so a query of N candidates costs T_q² + N(2·T_i·T_q + T_i²) attention
// instead of N(T_q + T_i)² and T_q + N·T_i token-layers of MLP instead of N(T_q + T_i).
// Documents are sorted by length and batched, so padding stays small. `prefix: 'naive'` runs whole prompts
// (the baseline the benchmark compares against); both feed the model the same token sequences.

import { SiftError } from '../errors.js';
import type { DecoderModel } from '../models/index.js';
import type { PromptTemplate } from './prompt-template.js';
import { renderPrefix, titleTextSeparator } from './prompt-template.js';
import type { RankCandidate, Ranker } from './types.js';

export interface DecoderRankerOptions {
  id: string;
  template: PromptTemplate;
  /** The answer tokens whose logits are compared (exactly one token each). */
  labels: { yes: string; no: string };
  /** Longest document (title + text) in tokens; text is cut first. Default 256. */
  maxDocumentTokens?: number;
  /** Longest title in tokens. Default 32. */
  maxTitleTokens?: number;
  /** Longest query in tokens. Default 64. */
  maxQueryTokens?: number;
  /** Documents per model call. Default 16. */
  batchSize?: number;
  /** 'shared': prefix once per query (default); 'naive': every prompt whole. */
  prefix?: 'shared' | 'naive';
}

export interface RankerStats {
  /** Documents scored by the model. */
  scored: number;
  /** Tokens the model processed, prefix tokens counted once per model call that computed them. */
  tokens: number;
}

export class DecoderRanker implements Ranker {
  readonly id: string;
  readonly stats: RankerStats = { scored: 0, tokens: 0 };
  private readonly labelIds: [number, number];
  private readonly options: Required<Omit<DecoderRankerOptions, 'template' | 'labels' | 'id'>>;
  private readonly separator: number[];
  private readonly suffix: number[];

  constructor(
    readonly model: DecoderModel,
    private readonly config: DecoderRankerOptions,
  ) {
    this.id = config.id;
    this.labelIds = [this.singleToken(config.labels.yes, 'yes'), this.singleToken(config.labels.no, 'no')];
    this.options = {
      maxDocumentTokens: config.maxDocumentTokens ?? 256,
      maxTitleTokens: config.maxTitleTokens ?? 32,
      maxQueryTokens: config.maxQueryTokens ?? 64,
      batchSize: config.batchSize ?? 16,
      prefix: config.prefix ?? 'shared',
    };
    this.separator = this.model.encode(titleTextSeparator(config.template));
    this.suffix = this.model.encode(config.template.suffix);
  }

  /** The answer labels' token ids (what a trained yes/no decoder compares). */
  get labelTokenIds(): { yes: number; no: number } {
    return { yes: this.labelIds[0], no: this.labelIds[1] };
  }

  /** Token ids that follow the item and end the prompt (the answer comes next). */
  get suffixTokens(): readonly number[] {
    return this.suffix;
  }

  /** Token ids of the prompt prefix for a query (instructions + truncated query). */
  prefixTokens(query: string): number[] {
    // The prefix is tokenized as one string (a space before the query belongs to its first word);
    // a long query is cut to its token budget first.
    const queryIds = this.model.encode(query);
    const kept =
      queryIds.length > this.options.maxQueryTokens
        ? this.model.tokenizer.tokenizer.decode(queryIds.slice(0, this.options.maxQueryTokens), {
            skipSpecialTokens: false,
          })
        : query;
    return this.model.encode(renderPrefix(this.config.template, kept));
  }

  /** Token ids of one candidate's part of the prompt: title, separator, text (truncated), suffix. */
  itemTokens(candidate: RankCandidate): number[] {
    const { maxDocumentTokens, maxTitleTokens } = this.options;
    const title =
      candidate.title.trim() === '' ? [] : this.model.encode(candidate.title).slice(0, maxTitleTokens);
    const head = title.length > 0 ? [...title, ...this.separator] : [];
    const text = this.model.encode(candidate.text).slice(0, Math.max(0, maxDocumentTokens - head.length));
    return [...head, ...text, ...this.suffix];
  }

  tokensFor(query: string, candidates: readonly RankCandidate[]): number[] {
    // With a shared prefix the query's part is evaluated once per call, not per candidate.
    const perCandidatePrefix = this.options.prefix === 'shared' ? 0 : this.prefixTokens(query).length;
    return candidates.map((candidate) => this.itemTokens(candidate).length + perCandidatePrefix);
  }

  async score(query: string, candidates: readonly RankCandidate[]): Promise<Float32Array> {
    const scores = new Float32Array(candidates.length);
    if (candidates.length === 0) return scores;
    const todo = candidates.map((candidate, index) => ({ index, ids: this.itemTokens(candidate) }));

    const prefix = this.prefixTokens(query);
    const [yes, no] = this.labelIds;
    const shared = this.options.prefix === 'shared';
    let past: Awaited<ReturnType<DecoderModel['prefill']>>['cache'];
    if (shared) {
      past = (await this.model.prefill({ rows: [prefix], logitIds: [yes], wantCache: true })).cache;
      this.stats.tokens += prefix.length;
    }
    // Longest first, so the first batch shows the worst-case memory at once.
    todo.sort((a, b) => b.ids.length - a.ids.length);
    for (let start = 0; start < todo.length; start += this.options.batchSize) {
      const batch = todo.slice(start, start + this.options.batchSize);
      const rows = shared ? batch.map((item) => item.ids) : batch.map((item) => [...prefix, ...item.ids]);
      const { logits } = await this.model.prefill({
        rows,
        ...(past ? { past } : {}),
        logitIds: [yes, no],
      });
      batch.forEach((item, i) => {
        // p(yes) = σ(l_yes − l_no): the softmax over the two label logits only.
        const margin = (logits[2 * i] ?? 0) - (logits[2 * i + 1] ?? 0);
        const p = 1 / (1 + Math.exp(-margin));
        scores[item.index] = p;
        this.stats.tokens += rows[i]?.length ?? 0;
      });
      this.stats.scored += batch.length;
    }
    return scores;
  }

  release(): Promise<void> {
    return this.model.release();
  }

  private singleToken(label: string, which: string): number {
    const ids = this.model.encode(label);
    const id = ids[0];
    if (ids.length !== 1 || id === undefined) {
      throw new SiftError(
        'E_RANKER_LABEL',
        `the "${which}" label ${JSON.stringify(label)} is ${ids.length} tokens in ${this.model.id}'s vocabulary, not one`,
        { field: `labels.${which}` },
      );
    }
    return id;
  }
}
