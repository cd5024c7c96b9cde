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
/** Lucene's EnglishPossessiveFilter: a trailing 's or ’s is dropped. */
function hasPossessive(word: string): boolean {
  const n = word.length;
  if (n < 3 || word.charCodeAt(n - 1) !== 115) return false;
  const mark = word.charCodeAt(n - 2);
  return mark === 39 || mark === 0x2019;
}
const NON_ASCII = /[^\p{ASCII}]/u;

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
      const terms: string[] = [];
      const emit = (word: string) => {
        if (word.length > config.maxTokenLength) return;
        const token = hasPossessive(word) ? word.slice(0, -2) : word;
        if (stopWords.has(token)) return;
        terms.push(config.stem ? stem(token) : token);
      };
      if (!NON_ASCII.test(text)) {
        // Pure ASCII is already in every normal form: a hand-written scanner with the same word
        // rules as WORD is several times faster than the Unicode regular expression.
        scanAsciiWords(text.toLowerCase(), emit);
        return terms;
      }
      let normalised = text.normalize('NFKC');
      if (config.foldDiacritics) normalised = normalised.normalize('NFD').replace(COMBINING_MARKS, '');
      for (const match of normalised.toLowerCase().matchAll(WORD)) emit(match[0]);
      return terms;
    },
  };
}

// Character codes the ASCII scanner tests.
const APOSTROPHE = 39;
const COMMA = 44;
const PERIOD = 46;
const DIGIT_0 = 48;
const DIGIT_9 = 57;
const LOWER_A = 97;
const LOWER_Z = 122;

function isDigit(code: number): boolean {
  return code >= DIGIT_0 && code <= DIGIT_9;
}

function isAlphanumeric(code: number): boolean {
  return isDigit(code) || (code >= LOWER_A && code <= LOWER_Z);
}

/** The WORD rules for lower-cased ASCII text: alphanumeric runs joined by ' (letters) or . , (digits). */
function scanAsciiWords(text: string, emit: (word: string) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && !isAlphanumeric(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && isAlphanumeric(text.charCodeAt(i))) i++;
    for (;;) {
      const joiner = text.charCodeAt(i);
      const next = i + 1 < n ? text.charCodeAt(i + 1) : -1;
      if (joiner === APOSTROPHE && isAlphanumeric(next)) {
        i++;
        while (i < n && isAlphanumeric(text.charCodeAt(i))) i++;
      } else if (
        (joiner === PERIOD || joiner === COMMA) &&
        isDigit(text.charCodeAt(i - 1)) &&
        isDigit(next)
      ) {
        i++;
        while (i < n && isDigit(text.charCodeAt(i))) i++;
      } else {
        break;
      }
    }
    emit(text.slice(start, i));
  }
}
