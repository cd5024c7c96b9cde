// Query-biased snippets: the window of a document that holds the most distinct query terms,
// with the character ranges of each matching word so that a UI can highlight them.

import type { Analyzer } from '../analysis/index.js';

export interface Snippet {
  text: string;
  /** [start, end) character ranges within `text` of words that match a query term. */
  highlights: Array<[number, number]>;
}

const WORD = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*/gu;

export function makeSnippet(analyzer: Analyzer, query: string, rawText: string, maxWords = 32): Snippet {
  // One line of text: line breaks and runs of spaces in the source would break a result list's layout.
  const text = rawText.replace(/\s+/g, ' ').trim();
  const queryTerms = new Set(analyzer.analyze(query));
  const words = [...text.matchAll(WORD)].map((match) => ({
    start: match.index,
    end: match.index + match[0].length,
    term: analyzer.analyze(match[0])[0],
  }));
  if (words.length === 0) return { text: text.slice(0, 200), highlights: [] };

  // Slide a window of maxWords words; keep the one with the most distinct matching terms
  // (then the most matches), preferring the earliest window on ties.
  let best = 0;
  let bestDistinct = -1;
  let bestTotal = -1;
  for (let start = 0; start < Math.max(1, words.length - maxWords + 1); start++) {
    const distinct = new Set<string>();
    let total = 0;
    for (const word of words.slice(start, start + maxWords)) {
      if (word.term !== undefined && queryTerms.has(word.term)) {
        distinct.add(word.term);
        total++;
      }
    }
    if (distinct.size > bestDistinct || (distinct.size === bestDistinct && total > bestTotal)) {
      best = start;
      bestDistinct = distinct.size;
      bestTotal = total;
    }
  }
  const window = words.slice(best, best + maxWords);
  const from = window[0]!.start;
  const to = window[window.length - 1]!.end;
  const prefix = best > 0 ? '… ' : '';
  const suffix = best + maxWords < words.length ? ' …' : '';
  const highlights: Array<[number, number]> = window
    .filter((word) => word.term !== undefined && queryTerms.has(word.term))
    .map((word) => [word.start - from + prefix.length, word.end - from + prefix.length]);
  return { text: `${prefix}${text.slice(from, to)}${suffix}`, highlights };
}
