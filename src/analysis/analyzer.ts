// The BM25-side text analyzer: Unicode normalisation, word tokenisation, lower-casing,
// possessive stripping, stop words and Porter stemming (the chain of Lucene's EnglishAnalyzer).

import { stemmer } from 'stemmer';
import { SiftError } from '../errors.js';
import { LUCENE_ENGLISH_STOP_WORDS } from './stop-words.js';

export interface AnalyzerOptions {
  /** Fold diacritics (é → e) after NFKC normalisation, so "Sönke" matches "Sonke". Default true. */
  foldDiacritics?: boolean;
  /** Drop stop words. Default: Lucene's English set; pass an empty array to keep every word. */
  stopWords?: readonly string[];
  /** Porter-stem every token (Lucene's PorterStemFilter). Default true. */
  stem?: boolean;
  /** Tokens longer than this are dropped (Lucene's StandardTokenizer caps at 255). Default 255. */
  maxTokenLength?: number;
}

/** The serialisable identity of an analyzer; an index stores it so that queries are analysed the same way. */
export interface AnalyzerConfig {
  name: 'english';
  version: 1;
  foldDiacritics: boolean;
  stopWords: string[] | 'lucene-english';
  stem: boolean;
  maxTokenLength: number;
}

export interface Analyzer {
  readonly config: AnalyzerConfig;
  /** Terms of `text`, in order, after the whole chain. */
  analyze(text: string): string[];
}

// A word is a run of letters, marks and digits, which may be joined by an apostrophe (don't, O'Neil)
// or, between digits, by a period or comma (3.5, 10,000) — a compact approximation of UAX #29
// word boundaries as Lucene's StandardTokenizer applies them. Hyphens split words, as in Lucene.
const WORD = /[\p{L}\p{M}\p{N}]+(?:(?:['’][\p{L}\p{M}\p{N}]+)|(?:(?<=\p{N})[.,](?=\p{N})[\p{N}]+))*/gu;
const COMBINING_MARKS = /\p{M}+/gu;
const POSSESSIVE = /['’]s$/;

export function createAnalyzer(options: AnalyzerOptions = {}): Analyzer {
  const config: AnalyzerConfig = {
    name: 'english',
    version: 1,
    foldDiacritics: options.foldDiacritics ?? true,
    stopWords: options.stopWords === undefined ? 'lucene-english' : [...options.stopWords],
    stem: options.stem ?? true,
    maxTokenLength: options.maxTokenLength ?? 255,
  };
  return analyzerFromConfig(config);
}

/** Rebuilds the analyzer an index was written with. */
export function analyzerFromConfig(config: AnalyzerConfig): Analyzer {
  if (config.name !== 'english' || config.version !== 1) {
    throw new SiftError('E_BAD_ARGUMENT', `unknown analyzer ${config.name} v${config.version}`, {
      field: 'analyzer',
    });
  }
  const stopWords =
    config.stopWords === 'lucene-english' ? LUCENE_ENGLISH_STOP_WORDS : new Set(config.stopWords);
  const stemCache = new Map<string, string>();

  const stem = (word: string): string => {
    let stemmed = stemCache.get(word);
    if (stemmed === undefined) {
      stemmed = stemmer(word);
      // The vocabulary of a corpus is small next to its token count: caching makes stemming nearly free.
      if (stemCache.size < 1_000_000) stemCache.set(word, stemmed);
    }
    return stemmed;
  };

  return {
    config,
    analyze(text: string): string[] {
      let normalised = text.normalize('NFKC');
      if (config.foldDiacritics) normalised = normalised.normalize('NFD').replace(COMBINING_MARKS, '');
      const terms: string[] = [];
      for (const match of normalised.toLowerCase().matchAll(WORD)) {
        let token = match[0];
        if (token.length > config.maxTokenLength) continue;
        token = token.replace(POSSESSIVE, '');
        if (stopWords.has(token)) continue;
        terms.push(config.stem ? stem(token) : token);
      }
      return terms;
    },
  };
}
