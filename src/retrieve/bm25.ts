// Lexical retrieval with BM25F: Lucene's BM25 (idf and length normalisation) over weighted fields.
//
// For a query term t and document d (Robertson & Zaragoza, "The Probabilistic Relevance Framework:
// BM25 and Beyond", 2009, §3.5):
//   tf̃(t,d)  = Σ_f w_f · tf_f(t,d) / (1 − b + b · len_f(d) / avglen_f)
//   score    = Σ_t qtf(t) · idf(t) · tf̃ / (k1 + tf̃)
//   idf(t)   = ln(1 + (N − df + 0.5) / (df + 0.5))          (Lucene's BM25Similarity, never negative)
// With a single field of weight 1 this is exactly Lucene's BM25Similarity score (Lucene 8+, which
// dropped the constant (k1 + 1) factor). Unlike summing per-field BM25 scores, BM25F saturates a
// term's frequency once across fields, so a title repeated in the body is not counted twice over.

import { SiftError } from '../errors.js';
import type { SiftIndex } from '../index/sift-index.js';
import { INDEXED_FIELDS } from '../index/sift-index.js';
import { compileFilter } from './filters.js';
import type { Hit, Retriever, SearchRequest } from './retriever.js';
import { TopKCollector } from './top-k.js';

export interface Bm25Params {
  /** Term-frequency saturation. Lucene's default 1.2; useful range 0.5–2.0; must be ≥ 0. */
  k1: number;
  /** Length normalisation strength. Lucene's default 0.75; must lie in [0, 1]. */
  b: number;
  /**
   * Weight of each field's term frequency. Default title 1, text 1: both fields count as one
   * concatenated document does in Lucene and Anserini's BEIR baselines; raise `title` to favour
   * title matches. Weights must be ≥ 0.
   */
  fieldWeights: Record<(typeof INDEXED_FIELDS)[number], number>;
}

export const DEFAULT_BM25_PARAMS: Readonly<Bm25Params> = Object.freeze({
  k1: 1.2,
  b: 0.75,
  fieldWeights: Object.freeze({ title: 1, text: 1 }),
});

export function validateBm25Params(params: Bm25Params): Bm25Params {
  const bad = (field: string, rule: string) =>
    new SiftError('E_BAD_ARGUMENT', `BM25 ${field} ${rule}`, { field: `bm25.${field}` });
  if (!(params.k1 >= 0) || !Number.isFinite(params.k1)) throw bad('k1', 'must be a finite number ≥ 0');
  if (!(params.b >= 0 && params.b <= 1)) throw bad('b', 'must lie in [0, 1]');
  for (const field of INDEXED_FIELDS) {
    const weight = params.fieldWeights[field];
    if (!(weight >= 0) || !Number.isFinite(weight))
      throw bad(`fieldWeights.${field}`, 'must be a finite number ≥ 0');
  }
  return params;
}

export class Bm25Retriever implements Retriever {
  readonly name = 'bm25';
  readonly params: Bm25Params;
  private accumulator = new Float64Array(0);
  private touched = new Uint32Array(0);
  private marks = new Uint8Array(0);
  /** Per field, w_f / (1 − b + b · len/avglen) for every ordinal; rebuilt when the statistics change. */
  private normCache?: { version: number; weights: Float32Array[] };

  constructor(
    private readonly index: SiftIndex,
    params: Partial<Bm25Params> = {},
  ) {
    this.params = validateBm25Params({
      ...DEFAULT_BM25_PARAMS,
      ...params,
      fieldWeights: { ...DEFAULT_BM25_PARAMS.fieldWeights, ...params.fieldWeights },
    });
  }

  async search(request: SearchRequest): Promise<Hit[]> {
    return this.searchSync(request);
  }

  searchSync({ query, k, filter }: SearchRequest): Hit[] {
    const { docs, inverted } = this.index;
    const matches = compileFilter(filter);
    const queryTerms = new Map<string, number>();
    for (const term of this.index.analyzer.analyze(query))
      queryTerms.set(term, (queryTerms.get(term) ?? 0) + 1);
    if (queryTerms.size === 0 || k <= 0) return [];

    this.ensureScratch(docs.size);
    const fieldWeights = this.fieldNormWeights();
    const { k1 } = this.params;
    const n = inverted.docCount;
    const scores = this.accumulator;
    let touchedCount = 0;

    for (const [term, qtf] of queryTerms) {
      const list = inverted.postingList(term);
      if (!list || list.docFreq === 0) continue;
      const idf = Math.log(1 + (n - list.docFreq + 0.5) / (list.docFreq + 0.5));
      const weight = qtf * idf;
      for (let i = 0; i < list.length; i++) {
        const ord = list.docs[i]!;
        let tf = 0;
        for (let f = 0; f < fieldWeights.length; f++) tf += list.tfs[f]![i]! * fieldWeights[f]![ord]!;
        if (tf === 0) continue;
        if (this.marks[ord] === 0) {
          this.marks[ord] = 1;
          this.touched[touchedCount++] = ord;
        }
        scores[ord]! += (weight * tf) / (k1 + tf);
      }
    }

    const collector = new TopKCollector(k);
    for (let i = 0; i < touchedCount; i++) {
      const ord = this.touched[i]!;
      const score = scores[ord]!;
      scores[ord] = 0;
      this.marks[ord] = 0;
      if (!docs.isLive(ord) || score <= collector.threshold) continue;
      if (matches && !matches(docs.metadata(ord))) continue;
      collector.offer(ord, score);
    }
    return collector.results().map(({ ord, score }) => ({ id: docs.idOf(ord), ord, score }));
  }

  private ensureScratch(size: number): void {
    if (this.accumulator.length >= size) return;
    const capacity = Math.max(size, this.accumulator.length * 2, 1024);
    this.accumulator = new Float64Array(capacity);
    this.touched = new Uint32Array(capacity);
    this.marks = new Uint8Array(capacity);
  }

  private fieldNormWeights(): Float32Array[] {
    const { inverted, docs } = this.index;
    if (this.normCache?.version === inverted.version && this.normCache.weights[0]!.length >= docs.size) {
      return this.normCache.weights;
    }
    const { b, fieldWeights } = this.params;
    const weights = INDEXED_FIELDS.map((field, f) => {
      const avg = inverted.averageFieldLength(f);
      const w = fieldWeights[field];
      const column = new Float32Array(docs.size);
      for (let ord = 0; ord < docs.size; ord++) {
        const relative = avg > 0 ? inverted.fieldLength(f, ord) / avg : 0;
        column[ord] = w / (1 - b + b * relative);
      }
      return column;
    });
    this.normCache = { version: inverted.version, weights };
    return weights;
  }
}
