// Few-shot examples from a golden set: one per policy grade, grades put on the policy's scale, written
// into the policy's Examples section so that the policy's identity (its hash) changes with them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseGoldenExamples, policyGradeOf, withGoldenExamples } from './golden-examples.js';
import { loadPolicy, parsePolicy } from './policy.js';

const pair = (query: string, grade: number) => ({
  query,
  title: `Title for ${query}`,
  text: `Text about ${query}. `.repeat(40),
  grade,
});

test('human grades are put on the policy scale as the normalised gain', () => {
  // Cranfield-like 0–4 onto web-search's 0–3; DBpedia-like 0–2 onto 0–3.
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((grade) => policyGradeOf(grade, 4, 3)),
    [0, 1, 2, 2, 3],
  );
  assert.deepEqual(
    [0, 1, 2].map((grade) => policyGradeOf(grade, 2, 3)),
    [0, 2, 3],
  );
  assert.equal(policyGradeOf(-1, 4, 3), 0, 'a negative grade is not relevant');
});

test('one example per policy grade that the golden set has, seeded', async () => {
  const policy = await loadPolicy('web-search');
  const pairs = [pair('a', 0), pair('b', 0), pair('c', 2), pair('d', 4), pair('e', 4)];
  const chosen = chooseGoldenExamples(pairs, policy, { humanMax: 4, seed: 1 });
  assert.deepEqual(
    chosen.map((example) => example.policyGrade),
    [0, 2, 3],
    'no example for grade 1: none of the pairs maps to it',
  );
  assert.deepEqual(chooseGoldenExamples(pairs, policy, { humanMax: 4, seed: 1 }), chosen);
  const twoEach = chooseGoldenExamples(pairs, policy, { humanMax: 4, perGrade: 2, seed: 1 });
  assert.equal(twoEach.length, 5);
});

test('the examples join the Examples section, cut to size, and the policy hash changes', async () => {
  const policy = await loadPolicy('web-search');
  const examples = chooseGoldenExamples([pair('wing flutter', 4), pair('boundary layer', 0)], policy, {
    humanMax: 4,
  });
  const shown = withGoldenExamples(policy, examples, { maxTextChars: 50 });
  assert.notEqual(shown.hash, policy.hash);
  assert.deepEqual(shown.levels, policy.levels, 'grades are untouched');
  const section = shown.text.slice(shown.text.indexOf('## Examples'));
  assert.ok(section.includes('### Graded by people for this collection'));
  assert.ok(section.includes('Query "wing flutter"'));
  assert.ok(section.includes('grade 3.'));
  assert.ok(section.includes('Query "boundary layer"'));
  assert.ok(!section.includes('Text about wing flutter. '.repeat(3)), 'long texts are cut');
  // The author's own examples stay, before the golden ones, and the sections after them too.
  assert.ok(section.indexOf('hugh downs') < section.indexOf('Graded by people'));
  const ignore = shown.text.indexOf('## Ignore');
  assert.ok(ignore > shown.text.indexOf('Graded by people'), 'the Ignore section follows, intact');
  assert.equal(shown.text.slice(ignore), policy.text.slice(policy.text.indexOf('## Ignore')));
});

test('a policy without an Examples section gets one', () => {
  const policy = parsePolicy(
    '---\nname: tiny\n---\n## Task\nGrade it.\n\n## Grades\n### 0 — No\nNot it.\n### 1 — Yes\nIt.\n',
    'tiny.md',
  );
  const shown = withGoldenExamples(policy, chooseGoldenExamples([pair('x', 1)], policy, { humanMax: 1 }));
  assert.match(shown.text, /## Examples\n\n### Graded by people for this collection\n\n- Query "x"/);
  assert.equal(shown.maxGrade, 1);
});
