// The extractive summariser, context compression's no-model baseline: a document cut to a token budget by
// choosing its most central sentences, in their original order. Scoring is MEAD's (Radev et al., 2004):
// each sentence's centroid score (the TF-IDF weight of the document's salient terms it holds) plus a
// position score that falls linearly from the first sentence, both on the same scale and weighted 1:1.
// It is query-independent, so summaries are made once per document, offline, like the paper's.
//
// The title is kept whole (it is the densest description a document has); then sentences are taken best
// first while they fit the budget, and when even the best one does not fit the text is cut at the budget,
// which is what truncation would have given.

export interface ExtractiveOptions {
  /** Target length in the ranker's tokens, title included. */
  budget: number;
  /** The ranker tokenizer's count of a text's tokens (no special tokens). */
  countTokens: (text: string) => number;
  /** The lexical analyzer's terms of a text (the index's: stemmed, stop words removed). */
  analyze: (text: string) => string[];
  /** Inverse document frequency of a term in the collection. */
  idf: (term: string) => number;
}

/** The lead baseline: the title and then the text's first words, within the same budget. */
export function leadSummary(
  doc: { title: string; text: string },
  options: Pick<ExtractiveOptions, 'budget' | 'countTokens'>,
): string {
  const titleTokens = doc.title.trim() === '' ? 0 : options.countTokens(doc.title) + 1;
  const room = options.budget - titleTokens;
  return room <= 0 ? '' : cutToTokens(doc.text, room, options.countTokens);
}

export interface ExtractiveSummary {
  /** The summary's text (the title is not repeated in it). */
  text: string;
  /** Sentences chosen, of all. */
  chosen: number;
  sentences: number;
}

/**
 * Splits text into sentences: after . ! ? and white space (upper- or lower-case next: some collections are
 * lower-cased), and at line breaks; a break after an abbreviation (e.g., i.e., Dr., a single initial) is
 * undone.
 */
export function splitSentences(text: string): string[] {
  const pieces = text.split(/\n+|(?<=[.!?]["')\]]?)\s+(?=["'([]?[A-Za-z0-9])/);
  const out: string[] = [];
  for (const raw of pieces) {
    const piece = raw.trim();
    if (piece === '') continue;
    const last = out[out.length - 1];
    if (last !== undefined && ABBREVIATION.test(last)) out[out.length - 1] = `${last} ${piece}`;
    else out.push(piece);
  }
  return out;
}

/** A sentence end that is really an abbreviation: e.g. i.e. etc. vs. al. Dr. Mr. Mrs. Ms. St. No. Fig., or initials (J. or U.S.). */
const ABBREVIATION =
  /(?:\b(?:e\.g|i\.e|etc|vs|al|dr|mr|mrs|ms|st|no|fig|eq|approx)\.|(?:^|[\s(])(?:[A-Za-z]\.)+)$/i;

export function extractiveSummary(
  doc: { title: string; text: string },
  options: ExtractiveOptions,
): ExtractiveSummary {
  const sentences = splitSentences(doc.text);
  const titleTokens = doc.title.trim() === '' ? 0 : options.countTokens(doc.title) + 1; // + the separator
  let room = options.budget - titleTokens;
  if (sentences.length === 0 || room <= 0) return { text: '', chosen: 0, sentences: sentences.length };
  if (options.countTokens(doc.text) <= room)
    return { text: doc.text, chosen: sentences.length, sentences: sentences.length };

  // The document's centroid: TF-IDF of its terms; a sentence's centroid score sums the weights it holds.
  const terms = sentences.map((s) => options.analyze(s));
  const centroid = new Map<string, number>();
  for (const list of terms) for (const t of list) centroid.set(t, (centroid.get(t) ?? 0) + 1);
  for (const [t, tf] of centroid) centroid.set(t, tf * options.idf(t));
  const central = terms.map((list) => [...new Set(list)].reduce((s, t) => s + (centroid.get(t) ?? 0), 0));
  const maxCentral = Math.max(...central, 1e-9);
  const n = sentences.length;
  const scores = central.map((c, i) => c + ((n - i) / n) * maxCentral);

  const lengths = sentences.map((s) => options.countTokens(s));
  const order = sentences.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const chosen = new Set<number>();
  for (const i of order) {
    if (lengths[i]! <= room) {
      chosen.add(i);
      room -= lengths[i]!;
    }
  }
  if (chosen.size === 0) {
    // Even the best sentence is longer than the budget: cut the text at the budget, as truncation would.
    return { text: cutToTokens(doc.text, room, options.countTokens), chosen: 0, sentences: n };
  }
  const text = [...chosen]
    .sort((a, b) => a - b)
    .map((i) => sentences[i]!)
    .join(' ');
  return { text, chosen: chosen.size, sentences: n };
}

/** The longest prefix of `text` (whole words) within `budget` tokens. */
export function cutToTokens(text: string, budget: number, countTokens: (text: string) => number): string {
  const words = text.split(/\s+/);
  let lo = 0;
  let hi = words.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (countTokens(words.slice(0, mid).join(' ')) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return words.slice(0, lo).join(' ');
}
