// Label-free fusion functions from the literature, for comparison with sift's own (src/retrieve/fusion.ts).
//
// Each takes the ranked lists of two or more retrievers (best first) and returns one fused list. Only
// the bench uses these: they are the alternatives a reader would ask about, run at their published
// defaults, never tuned to a collection.
//   CombMNZ (Fox & Shaw, TREC-2 1994): the sum of min–max normalised scores × the number of lists that
//       returned the document.
//   z-score CombSUM (Montague & Aslam, CIKM 2001 discuss it as the standard-score normalisation): each
//       list's scores standardised to mean 0, deviation 1 over the list, then summed.
//   TM2C2 (Bruch, Gai & Ingber, TOIS 2023): a convex combination of scores normalised against each
//       scorer's theoretical minimum (0 for BM25, −1 for cosine) and the list's maximum; α = 0.5.
//   Borda count (Aslam & Montague, SIGIR 2001): each list gives depth − rank points.
//   ISR, inverse square rank (Mourão et al., 2014): each list gives 1 / rank².

import type { ScoredDoc } from '../../src/eval/index.js';

export interface ScoredList {
  docs: readonly ScoredDoc[];
  /** The least score the scorer can give (TM2C2's normaliser): 0 for BM25, −1 for cosine. */
  theoreticalMin: number;
}

export type FusionVariant = (lists: readonly ScoredList[]) => ScoredDoc[];

export const FUSION_VARIANTS: Readonly<Record<string, FusionVariant>> = {
  combmnz: (lists) => combine(lists, minMax, true),
  'z-score': (lists) => combine(lists, zScores, false),
  tm2c2: (lists) => combine(lists, theoreticalMinMax, false),
  borda: (lists) => combine(lists, ({ docs }) => docs.map((_, i) => docs.length - i), false),
  isr: (lists) => combine(lists, ({ docs }) => docs.map((_, i) => 1 / (i + 1) ** 2), false),
};

function combine(
  lists: readonly ScoredList[],
  normalise: (list: ScoredList) => number[],
  multiplyByHits: boolean,
): ScoredDoc[] {
  const sums = new Map<string, { score: number; hits: number; first: number }>();
  let order = 0;
  for (const list of lists) {
    const normalised = normalise(list);
    list.docs.forEach((doc, i) => {
      const entry = sums.get(doc.docId) ?? { score: 0, hits: 0, first: order++ };
      entry.score += normalised[i]!;
      entry.hits += 1;
      sums.set(doc.docId, entry);
    });
  }
  return [...sums.entries()]
    .map(([docId, e]) => ({ docId, score: multiplyByHits ? e.score * e.hits : e.score, first: e.first }))
    .sort((a, b) => b.score - a.score || a.first - b.first)
    .map(({ docId, score }) => ({ docId, score }));
}

function minMax({ docs }: ScoredList): number[] {
  if (docs.length === 0) return [];
  const max = docs[0]!.score;
  const min = docs[docs.length - 1]!.score;
  return docs.map((d) => (max > min ? (d.score - min) / (max - min) : 1));
}

function theoreticalMinMax({ docs, theoreticalMin }: ScoredList): number[] {
  if (docs.length === 0) return [];
  const range = docs[0]!.score - theoreticalMin;
  // α = 0.5 for two lists: the convex weights are equal, so halving every term changes no order.
  return docs.map((d) => (range > 0 ? (d.score - theoreticalMin) / range : 1));
}

function zScores({ docs }: ScoredList): number[] {
  const n = docs.length;
  if (n === 0) return [];
  const mean = docs.reduce((s, d) => s + d.score, 0) / n;
  const deviation = Math.sqrt(docs.reduce((s, d) => s + (d.score - mean) ** 2, 0) / n);
  return docs.map((d) => (deviation > 0 ? (d.score - mean) / deviation : 0));
}
