// The order trec_eval puts a query's retrieved documents in: score descending, then docno descending.
//
// trec_eval ignores the rank column of a run file and re-sorts each query's results with
// `comp_sim_docno` (trec_eval 9.x, form_res_rels.c):
//
//   if (ptr1->sim > ptr2->sim) return -1;
//   if (ptr1->sim < ptr2->sim) return 1;
//   return strcmp(ptr2->docno, ptr1->docno);
//
// i.e. higher score first and, among equal scores, the docno that is *larger* under strcmp (byte order
// of the UTF-8 text) first. trec_eval keeps each score as a C `float` (TEXT_RESULTS.sim in
// trec_format.h), so two scores that differ only beyond single precision are a tie there; scores are
// therefore compared after rounding to float32 (Math.fround). Checked against pytrec_eval: scores
// 1.00000001 and 1.0 tie and fall back to the docno rule, 1.0000001 and 1.0 do not. Every metric here is
// computed over this order so that ties score exactly as trec_eval (and pytrec_eval) score them.

/** One retrieved document of one query. */
export interface ScoredDoc {
  docId: string;
  score: number;
}

/**
 * Compares two strings in Unicode code point order, which is the byte order strcmp sees on UTF-8.
 * Plain `<` compares UTF-16 code units, which disagrees for astral characters versus U+E000..U+FFFF;
 * the usual fix-up (shift surrogates above the BMP private-use range) restores code point order.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** The trec_eval comparator: negative when `a` ranks above `b`. */
export function compareTrecOrder(a: ScoredDoc, b: ScoredDoc): number {
  const x = Math.fround(a.score);
  const y = Math.fround(b.score);
  if (x > y) return -1;
  if (x < y) return 1;
  return compareCodePoints(b.docId, a.docId);
}

/** A new array holding `docs` in trec_eval order; the input is left as it was. */
export function rankDocs<T extends ScoredDoc>(docs: readonly T[]): T[] {
  return [...docs].sort(compareTrecOrder);
}
