// The query-likelihood ranker (UPR: Sachan et al. 2022, "Improving Passage Retrieval with Zero-Shot
// Question Generation"): score = mean log p(query tokens | instructions + document), read from one
// prefill of the whole prompt with the decoder's sequence head. The model is asked to write a query for
// the document, so a document scores high when it makes the searcher's actual words likely; unlike the
// yes/no ranker, this uses the language model's core skill and needs no calibrated "Yes".
// The document comes before the query, so there is no per-query prefix to share.

import { readFile } from 'node:fs/promises';
import { SiftError } from '../errors.js';
import type { DecoderModel } from '../models/index.js';
import type { RankCandidate, Ranker } from './types.js';

export interface QueryLikelihoodTemplate {
  source: string;
  beforeDocument: string;
  /** Between the document and the query (the end of the user turn, the assistant's turn opened). */
  beforeQuery: string;
  afterQuery: string;
}

/** A template with `{document}` before `{query}`; E_PROMPT_TEMPLATE otherwise. */
export function parseQueryLikelihoodTemplate(text: string, source: string): QueryLikelihoodTemplate {
  const doc = text.indexOf('{document}');
  const query = text.indexOf('{query}');
  if (
    doc < 0 ||
    query < 0 ||
    query < doc ||
    text.indexOf('{document}', doc + 1) >= 0 ||
    text.indexOf('{query}', query + 1) >= 0
  ) {
    throw new SiftError(
      'E_PROMPT_TEMPLATE',
      'a query-likelihood template needs one {document} followed by one {query}',
      {
        file: source,
      },
    );
  }
  return {
    source,
    beforeDocument: text.slice(0, doc),
    beforeQuery: text.slice(doc + '{document}'.length, query),
    afterQuery: text.slice(query + '{query}'.length),
  };
}

export async function readQueryLikelihoodTemplate(file: string): Promise<QueryLikelihoodTemplate> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new SiftError('E_FILE_NOT_FOUND', `cannot read the prompt template: ${(error as Error).message}`, {
      file,
    });
  });
  return parseQueryLikelihoodTemplate(text, file);
}

export interface QueryLikelihoodOptions {
  id: string;
  template: QueryLikelihoodTemplate;
  maxDocumentTokens?: number;
  maxTitleTokens?: number;
  maxQueryTokens?: number;
  batchSize?: number;
}

export class QueryLikelihoodRanker implements Ranker {
  readonly id: string;
  readonly stats = { scored: 0, tokens: 0 };

  constructor(
    readonly model: DecoderModel,
    private readonly options: QueryLikelihoodOptions,
  ) {
    this.id = options.id;
  }

  /** The query's tokens (cut to their budget) and each candidate's prompt: instructions, title, text. */
  private prompts(
    query: string,
    candidates: readonly RankCandidate[],
  ): { queryIds: number[]; prompts: number[][] } {
    const queryIds = this.model.encode(query).slice(0, this.options.maxQueryTokens ?? 64);
    const head = this.model.encode(this.options.template.beforeDocument);
    const middle = this.model.encode(this.options.template.beforeQuery);
    const maxDoc = this.options.maxDocumentTokens ?? 256;
    const prompts = candidates.map((c) => {
      const title =
        c.title.trim() === ''
          ? []
          : [
              ...this.model.encode(c.title).slice(0, this.options.maxTitleTokens ?? 32),
              ...this.model.encode('\n'),
            ];
      const text = this.model.encode(c.text).slice(0, Math.max(0, maxDoc - title.length));
      return [...head, ...title, ...text, ...middle];
    });
    return { queryIds, prompts };
  }

  tokensFor(query: string, candidates: readonly RankCandidate[]): number[] {
    const { queryIds, prompts } = this.prompts(query, candidates);
    return prompts.map((prompt) => prompt.length + queryIds.length);
  }

  async score(query: string, candidates: readonly RankCandidate[]): Promise<Float32Array> {
    const scores = new Float32Array(candidates.length);
    const { queryIds, prompts } = this.prompts(query, candidates);
    if (queryIds.length === 0) return scores;
    const todo = prompts.map((prompt, index) => ({
      index,
      ids: [...prompt, ...queryIds],
      first: prompt.length,
    }));
    todo.sort((a, b) => b.ids.length - a.ids.length);
    const batchSize = this.options.batchSize ?? 8;
    for (let start = 0; start < todo.length; start += batchSize) {
      const batch = todo.slice(start, start + batchSize);
      // The logits at position p predict token p + 1: the query's tokens are predicted from first − 1 on.
      const scoreTokens = batch.map((item) => ({
        positions: queryIds.map((_, j) => item.first - 1 + j),
        ids: queryIds,
      }));
      const { tokenLogprobs } = await this.model.prefill({
        rows: batch.map((item) => item.ids),
        scoreTokens,
      });
      if (!tokenLogprobs) throw new SiftError('E_MODEL_LOAD', `${this.id}: the model has no sequence head`);
      batch.forEach((item, b) => {
        let sum = 0;
        for (let j = 0; j < queryIds.length; j++) sum += tokenLogprobs[b * queryIds.length + j] ?? 0;
        const score = sum / queryIds.length;
        scores[item.index] = score;
        this.stats.tokens += item.ids.length;
      });
      this.stats.scored += batch.length;
    }
    return scores;
  }

  release(): Promise<void> {
    return this.model.release();
  }
}
