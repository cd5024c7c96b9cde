import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAnalyzer } from '../analysis/index.js';
import { makeSnippet } from './snippet.js';

test('picks the window with the most distinct query terms and marks the matching words', () => {
  const filler = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
  const text = `${filler} senior nurses wanted for the Berlin clinic ${filler}`;
  const snippet = makeSnippet(createAnalyzer(), 'nurse berlin', text, 10);
  assert.ok(snippet.text.startsWith('… '));
  const marked = snippet.highlights.map(([start, end]) => snippet.text.slice(start, end));
  assert.deepEqual(marked, ['nurses', 'Berlin']);
});

test('short texts come back whole with no ellipsis', () => {
  const snippet = makeSnippet(createAnalyzer(), 'flow', 'Laminar flow.', 10);
  assert.equal(snippet.text, 'Laminar flow');
  assert.deepEqual(snippet.highlights, [[8, 12]]);
});
