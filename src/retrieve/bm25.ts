// Lexical retrieval with BM25 over the title and text fields, scored the way Lucene scores them.
//
// Each field is a Lucene BM25 field with its own statistics (BM25Similarity, Lucene 8+):
//   score_f(t,d) = idf_f(t) · tf / (tf + k1 · (1 − b + b · len_f(d) / avglen_f))
//   idf_f(t)     = ln(1 + (docCount_f − df_f(t) + 0.5) / (df_f(t) + 0.5))
// where docCount_f and avglen_f count the documents that have the field. A query's score in a field
// is the sum over its terms (times their query frequency); fields are then combined as chosen:
//   'best-fields' (default): max over fields + tieBreaker · the other fields' scores — Elasticsearch's
//                  multi_match best_fields with tie_breaker 0.5, the configuration of BEIR's reference
//                  BM25 baseline (Thakur et al., 2021);
//   'most-fields': the sum over fields (a Lucene BooleanQuery of one clause per field);
//   'bm25f':       Robertson & Zaragoza's BM25F (2009, §3.5): term frequencies are length-normalised and
//                  weighted per field, summed, and saturated once;
//   'flat':        one field holding title + text, scored as a single Lucene BM25 field — the "flat"
//                  convention of Anserini's BEIR baselines (Kamphuis et al. 2020; Thakur et al. 2021):
//                  tf = tf_title + tf_text, len = len_title + len_text, idf over documents.
// Field weights multiply each field's score (in BM25F, its term frequencies; in 'flat', its term
// frequencies and length, as if the field were repeated that many times).

import { SiftError } from '../errors.js';
import type { SiftIndex } from '../index/index.js';
import { INDEXED_FIELDS } from '../index/index.js';
import { compileFilter } from './filters.js';
import type { Hit, Retriever, SearchRequest } from './retriever.js';
import { TopKCollector } from './top-k.js';

export type FieldCombination = 'best-fields' | 'most-fields' | 'bm25f' | 'flat';

export interface Bm25Params {
  /** Term-frequency saturation. Lucene's default 1.2; useful range 0.5–2.0; must be ≥ 0. */
  k1: number;
  /** Length normalisation strength. Lucene's default 0.75; must lie in [0, 1]. */
  b: number;
  /** How per-field evidence is combined; see the top of this file. Default 'best-fields'. */
  combination: FieldCombination;
  /** With 'best-fields': weight of the fields other than the best one. Default 0.5 (BEIR); in [0, 1]. */
  tieBreaker: number;
  /** Weight of each field. Default 1 for both: no field is favoured a priori. Must be ≥ 0. */
  fieldWeights: Record<(typeof INDEXED_FIELDS)[number], number>;
}

export const DEFAULT_BM25_PARAMS: Readonly<Bm25Params> = Object.freeze({
  k1: 1.2,
  b: 0.75,
  combination: 'best-fields',
  tieBreaker: 0.5,
  fieldWeights: Object.freeze({ title: 1, text: 1 }),
});

const COMBINATIONS: readonly FieldCombination[] = ['best-fields', 'most-fields', 'bm25f', 'flat'];

export function validateBm25Params(params: Bm25Params): Bm25Params {
  const bad = (field: string, rule: string) =>
    new SiftError('E_BAD_ARGUMENT', `BM25 ${field} ${rule}`, { field: `bm25.${field}` });
  if (!(params.k1 >= 0) || !Number.isFinite(params.k1)) throw bad('k1', 'must be a finite number ≥ 0');
  if (!(params.b >= 0 && params.b <= 1)) throw bad('b', 'must lie in [0, 1]');
  if (!(params.tieBreaker >= 0 && params.tieBreaker <= 1)) throw bad('tieBreaker', 'must lie in [0, 1]');
  if (!COMBINATIONS.includes(params.combination))
    throw bad('combination', `must be one of ${COMBINATIONS.join(', ')}`);
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
  /** One score accumulator per field (BM25F uses only the first). */
  private accumulators: Float64Array[] = [];
  private touched = new Uint32Array(0);
  private marks = new Uint8Array(0);
  /** Per field and ordinal, the length-normalisation factor; rebuilt when the statistics change. */
  private normCache?: { version: number; size: number; norms: Float32Array[] };

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
    const { docs } = this.index;
    const matches = compileFilter(filter);
    const queryTerms = new Map<string, number>();
    for (const term of this.index.analyzer.analyze(query))
      queryTerms.set(term, (queryTerms.get(term) ?? 0) + 1);
    if (queryTerms.size === 0 || k <= 0) return [];

    this.ensureScratch(docs.size);
    const { combination, tieBreaker } = this.params;
    const touchedCount =
      combination === 'bm25f'
        ? this.accumulateBm25f(queryTerms)
        : combination === 'flat'
          ? this.accumulateFlat(queryTerms)
          : this.accumulatePerField(queryTerms);

    const collector = new TopKCollector(k);
    const [first, second] = this.accumulators as [Float64Array, Float64Array];
    for (let i = 0; i < touchedCount; i++) {
      const ord = this.touched[i]!;
      let score: number;
      if (combination === 'bm25f' || combination === 'flat') score = first[ord]!;
      else if (combination === 'most-fields') score = first[ord]! + second[ord]!;
      else {
        const best = Math.max(first[ord]!, second[ord]!);
        score = best + tieBreaker * (first[ord]! + second[ord]! - best);
      }
      first[ord] = 0;
      second[ord] = 0;
      this.marks[ord] = 0;
      if (!docs.isLive(ord) || score <= collector.threshold) continue;
      if (matches && !matches(docs.metadata(ord))) continue;
      collector.offer(ord, score);
    }
    return collector.results().map(({ ord, score }) => ({ id: docs.idOf(ord), ord, score }));
  }

  /** Lucene per-field scoring: each field accumulates its own BM25 sum. Returns the touched count. */
  private accumulatePerField(queryTerms: Map<string, number>): number {
    const { inverted } = this.index;
    const norms = this.norms();
    let touchedCount = 0;
    INDEXED_FIELDS.forEach((field, f) => {
      const weight = this.params.fieldWeights[field];
      const docCount = inverted.fieldDocCount(f);
      const scores = this.accumulators[f]!;
      const fieldNorms = norms[f]!;
      if (weight === 0) return;
      for (const [term, qtf] of queryTerms) {
        const list = inverted.postingList(term);
        const df = list?.fieldDocFreq[f] ?? 0;
        if (!list || df <= 0) continue;
        const idfWeight = weight * qtf * Math.log(1 + (docCount - df + 0.5) / (df + 0.5));
        const tfs = list.tfs[f]!;
        for (let i = 0; i < list.length; i++) {
          const tf = tfs[i]!;
          if (tf === 0) continue;
          const ord = list.docs[i]!;
          if (this.marks[ord] === 0) {
            this.marks[ord] = 1;
            this.touched[touchedCount++] = ord;
          }
          scores[ord]! += (idfWeight * tf) / (tf + fieldNorms[ord]!);
        }
      }
    });
    return touchedCount;
  }

  /** BM25F: weighted, length-normalised term frequencies summed over fields, saturated once. */
  private accumulateBm25f(queryTerms: Map<string, number>): number {
    const { inverted } = this.index;
    const { k1, b, fieldWeights } = this.params;
    const n = inverted.docCount;
    const scores = this.accumulators[0]!;
    // In BM25F the normalisation is applied to tf before saturation: tf̃ = Σ_f w_f · tf_f / B_f.
    const inverseB = INDEXED_FIELDS.map((field, f) => {
      const avg = inverted.averageFieldLength(f);
      const column = new Float32Array(this.index.docs.size);
      for (let ord = 0; ord < column.length; ord++) {
        column[ord] =
          fieldWeights[field] / (1 - b + (avg > 0 ? (b * inverted.fieldLength(f, ord)) / avg : 0));
      }
      return column;
    });
    let touchedCount = 0;
    for (const [term, qtf] of queryTerms) {
      const list = inverted.postingList(term);
      if (!list || list.docFreq === 0) continue;
      const weight = qtf * Math.log(1 + (n - list.docFreq + 0.5) / (list.docFreq + 0.5));
      for (let i = 0; i < list.length; i++) {
        const ord = list.docs[i]!;
        let tf = 0;
        for (let f = 0; f < inverseB.length; f++) tf += list.tfs[f]![i]! * inverseB[f]![ord]!;
        if (tf === 0) continue;
        if (this.marks[ord] === 0) {
          this.marks[ord] = 1;
          this.touched[touchedCount++] = ord;
        }
        scores[ord]! += (weight * tf) / (k1 + tf);
      }
    }
    return touchedCount;
  }

  /**
   * One concatenated field: Σ_f w_f·tf_f saturated against k1·(1 − b + b·L/avgL), L = Σ_f w_f·len_f, with
   * idf over the live documents (a term's docFreq counts documents with it in any field).
   */
  private accumulateFlat(queryTerms: Map<string, number>): number {
    const { inverted, docs } = this.index;
    const { k1, b, fieldWeights } = this.params;
    const n = inverted.docCount;
    const weights = INDEXED_FIELDS.map((field) => fieldWeights[field]);
    const avg = weights.reduce((sum, w, f) => sum + w * inverted.averageFieldLength(f), 0);
    const norms = new Float32Array(docs.size);
    for (let ord = 0; ord < norms.length; ord++) {
      let length = 0;
      for (let f = 0; f < weights.length; f++) length += weights[f]! * inverted.fieldLength(f, ord);
      norms[ord] = k1 * (1 - b + (avg > 0 ? (b * length) / avg : 0));
    }
    const scores = this.accumulators[0]!;
    let touchedCount = 0;
    for (const [term, qtf] of queryTerms) {
      const list = inverted.postingList(term);
      if (!list || list.docFreq === 0) continue;
      const weight = qtf * Math.log(1 + (n - list.docFreq + 0.5) / (list.docFreq + 0.5));
      for (let i = 0; i < list.length; i++) {
        const ord = list.docs[i]!;
        let tf = 0;
        for (let f = 0; f < weights.length; f++) tf += weights[f]! * list.tfs[f]![i]!;
        if (tf === 0) continue;
        if (this.marks[ord] === 0) {
          this.marks[ord] = 1;
          this.touched[touchedCount++] = ord;
        }
        scores[ord]! += (weight * tf) / (tf + norms[ord]!);
      }
    }
    return touchedCount;
  }

  private ensureScratch(size: number): void {
    if (this.touched.length >= size) return;
    const capacity = Math.max(size, this.touched.length * 2, 1024);
    this.accumulators = INDEXED_FIELDS.map(() => new Float64Array(capacity));
    this.touched = new Uint32Array(capacity);
    this.marks = new Uint8Array(capacity);
  }

  /** k1 · (1 − b + b · len/avglen) per field and ordinal, as Lucene precomputes per norm value. */
  private norms(): Float32Array[] {
    const { inverted, docs } = this.index;
    const cache = this.normCache;
    if (cache && cache.version === inverted.version && cache.size === docs.size) return cache.norms;
    const { k1, b } = this.params;
    const norms = INDEXED_FIELDS.map((_, f) => {
      const avg = inverted.averageLengthWhenPresent(f);
      const column = new Float32Array(docs.size);
      for (let ord = 0; ord < docs.size; ord++) {
        column[ord] = k1 * (1 - b + (avg > 0 ? (b * inverted.fieldLength(f, ord)) / avg : 0));
      }
      return column;
    });
    this.normCache = { version: inverted.version, size: docs.size, norms };
    return norms;
  }
}
