import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractiveSummary, splitSentences } from './extractive.js';

// Whitespace tokens and lower-cased words stand in for the ranker's tokenizer and the index's analyzer.
const countTokens = (text: string) => text.split(/\s+/).filter(Boolean).length;
const analyze = (text: string) => text.toLowerCase().match(/[a-z]+/g) ?? [];
const idf = (term: string) => (['the', 'a', 'of', 'is', 'was', 'in'].includes(term) ? 0.1 : 2);
const options = (budget: number) => ({ budget, countTokens, analyze, idf });

const doc = {
  title: 'Flutter of swept wings',
  text: [
    'Flutter of swept wings was measured in a transonic tunnel.',
    'The weather that week was mild.',
    'Swept wings showed flutter at lower speeds than straight wings.',
    'Lunch was served at noon.',
    'Flutter speed of swept wings fell as sweep grew.',
  ].join(' '),
};

describe('extractiveSummary', () => {
  it('stays within the budget (title included) and keeps the chosen sentences in document order', () => {
    for (const budget of [12, 20, 30]) {
      const summary = extractiveSummary(doc, options(budget));
      assert.ok(countTokens(doc.title) + 1 + countTokens(summary.text) <= budget, `budget ${budget}`);
      const positions = splitSentences(summary.text).map((s) => doc.text.indexOf(s));
      assert.ok(
        positions.every((p) => p >= 0),
        'sentences come from the document unchanged',
      );
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => a - b),
      );
    }
  });

  it('prefers the sentences that carry the document’s salient terms over off-topic ones', () => {
    const summary = extractiveSummary(doc, options(25));
    assert.match(summary.text, /Swept wings showed flutter/);
    assert.doesNotMatch(summary.text, /weather|Lunch/);
  });

  it('returns a document that fits whole, and cuts at the budget when no sentence fits', () => {
    const short = { title: '', text: 'Two short sentences. Both fit.' };
    assert.equal(extractiveSummary(short, options(10)).text, short.text);
    const long = { title: '', text: 'one two three four five six seven eight nine ten eleven twelve.' };
    const cut = extractiveSummary(long, options(5));
    assert.equal(cut.text, 'one two three four five');
    assert.equal(cut.chosen, 0);
  });
});
