import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAnalyzer } from './analyzer.js';

test('runs Lucene EnglishAnalyzer steps: lower-case, possessives, stop words, Porter stems', () => {
  const analyzer = createAnalyzer();
  assert.deepEqual(analyzer.analyze("The Engineer's running jobs in Berlin"), [
    'engin',
    'run',
    'job',
    'berlin',
  ]);
});

test('normalises Unicode: NFKC width forms, ligatures and diacritics', () => {
  const analyzer = createAnalyzer();
  assert.deepEqual(analyzer.analyze('Ｓönke ﬁnance café'), ['sonk', 'financ', 'cafe']);
  assert.deepEqual(createAnalyzer({ foldDiacritics: false }).analyze('café'), ['café']);
});

test('keeps decimal numbers and apostrophe words whole, splits hyphens', () => {
  const analyzer = createAnalyzer({ stem: false });
  assert.deepEqual(analyzer.analyze("high-speed flow at mach 3.5, don't"), [
    'high',
    'speed',
    'flow',
    'mach',
    '3.5',
    "don't",
  ]);
});

test('custom stop words replace the default list, an empty list keeps every word', () => {
  assert.deepEqual(createAnalyzer({ stopWords: [], stem: false }).analyze('the it job'), [
    'the',
    'it',
    'job',
  ]);
  assert.deepEqual(createAnalyzer({ stopWords: ['job'], stem: false }).analyze('the job'), ['the']);
});

test('drops tokens longer than maxTokenLength', () => {
  const analyzer = createAnalyzer({ maxTokenLength: 5, stem: false });
  assert.deepEqual(analyzer.analyze('short loooooong'), ['short']);
});

test('the ASCII fast path splits words exactly as the Unicode path does', () => {
  const analyzer = createAnalyzer({ stem: false, stopWords: [] });
  const samples = [
    "mach 3.5abc, 10,000 rpm; o'neil's rock'n'roll 1.2.3 x-ray a.b 4,x 'quoted' it's",
    'end with digit 7. and comma 8, then 9',
  ];
  for (const sample of samples) {
    // A non-ASCII character at the end forces the regular-expression path for the same text.
    const unicode = analyzer.analyze(`${sample} é`);
    assert.deepEqual(analyzer.analyze(sample), unicode.slice(0, -1));
  }
});
