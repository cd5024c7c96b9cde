// Small text helpers for the generator: word counts, money, lists, articles and word tokens.
//
// Number formatting is done by hand rather than with toLocaleString, whose output depends on the ICU
// data a Node build ships with; the generator must write the same bytes everywhere.

const separators = [' ', '\n', '\t', '\r'] as const;

function isSeparator(code: number): boolean {
  return code === 32 || code === 10 || code === 9 || code === 13;
}

/**
 * Words separated by spaces, tabs and line breaks; the measure the length tests and collection stats use.
 * It counts word starts by jumping between separators with indexOf, which scans far faster than reading
 * every character, and that matters when 100,000 postings are counted while being written.
 */
export function wordCount(text: string): number {
  const length = text.length;
  if (length === 0) return 0;
  let count = isSeparator(text.charCodeAt(0)) ? 0 : 1;
  for (const separator of separators) {
    for (let at = text.indexOf(separator); at !== -1; at = text.indexOf(separator, at + 1)) {
      if (at + 1 < length && !isSeparator(text.charCodeAt(at + 1))) count += 1;
    }
  }
  return count;
}

/** Words in one generated sentence, which is single-spaced: faster than wordCount for the hot path. */
export function sentenceWords(sentence: string): number {
  if (sentence.length === 0) return 0;
  let count = 1;
  for (let at = sentence.indexOf(' '); at !== -1; at = sentence.indexOf(' ', at + 1)) count += 1;
  return count;
}

/** 12345 → "12,345". */
export function formatCount(amount: number): string {
  const digits = String(Math.round(amount));
  let out = '';
  for (let i = 0; i < digits.length; i += 1) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return out;
}

/** 123456 → "$123,456". */
export function formatUsd(amount: number): string {
  return `$${formatCount(amount)}`;
}

/** 123000 → "$123k" (amounts here are whole thousands). */
export function formatUsdShort(amount: number): string {
  return `$${Math.round(amount / 1000)}k`;
}

/** ["a"] → "a"; ["a","b"] → "a and b"; ["a","b","c"] → "a, b and c". */
export function joinList(items: readonly string[], conjunction = 'and'): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}

export function capitalize(text: string): string {
  return text.length === 0 ? text : text.charAt(0).toUpperCase() + text.slice(1);
}

// Initialisms read letter by letter take "an" when the first letter's name starts with a vowel sound.
const anInitialisms = /^(hr|hvac|ml|rn|sre|fp&a|llm|mba|md|ms|sql|seo|etl)\b/i;

/** "a" or "an" for the phrase that follows, by its sound: "an Accountant", "a UX Designer", "an HR ...". */
export function article(phrase: string): string {
  if (anInitialisms.test(phrase)) return 'an';
  // Words starting with "u" here ("UX", "UI", "Unit") start with a "you" sound, so they keep "a".
  return /^[aeio]/i.test(phrase) ? 'an' : 'a';
}

export function withArticle(phrase: string): string {
  return `${article(phrase)} ${phrase}`;
}

/** Lowercase word tokens, keeping "+" and "#" so that "C++" and "C#" stay words. */
export function wordTokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9+#]+/)
    .filter((token) => token.length > 0);
}
