import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSiftError } from '../errors.js';
import { BUILTIN_POLICIES, loadPolicy, parsePolicy } from './policy.js';

const VALID = `---
name: tiny
title: Tiny policy
---

## Task
Grade the document.

## Grades
### 0 — Irrelevant
Not about the query.
### 1 — Relevant
About the query.
### 2: Perfect
Exactly what was asked.

## Ignore
Length.
`;

test('the shipped policies load, with grades 0..max and a relevance threshold', async () => {
  for (const name of BUILTIN_POLICIES) {
    const policy = await loadPolicy(name);
    assert.equal(policy.name, name);
    assert.equal(policy.source, `builtin:${name}`);
    assert.match(policy.hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(
      policy.levels.map((level) => level.grade),
      Array.from({ length: policy.maxGrade + 1 }, (_, i) => i),
    );
    assert.ok(policy.levels.every((level) => level.definition.length > 20 && level.label.length > 0));
    assert.match(policy.body, /## Examples/);
    assert.match(policy.body, /## Ignore/);
  }
  assert.equal((await loadPolicy()).name, 'web-search');
});

test('a policy parses into levels, labels and definitions', () => {
  const policy = parsePolicy(VALID, 'tiny.md');
  assert.equal(policy.title, 'Tiny policy');
  assert.equal(policy.maxGrade, 2);
  assert.equal(policy.relevantFrom, 1);
  assert.deepEqual(
    policy.levels.map((l) => [l.grade, l.label, l.definition]),
    [
      [0, 'Irrelevant', 'Not about the query.'],
      [1, 'Relevant', 'About the query.'],
      [2, 'Perfect', 'Exactly what was asked.'],
    ],
  );
  assert.ok(!policy.body.includes('name: tiny'));
});

test('the hash identifies content: line endings do not change it, an edit does', () => {
  const a = parsePolicy(VALID, 'a.md');
  assert.equal(parsePolicy(VALID.replace(/\n/g, '\r\n'), 'b.md').hash, a.hash);
  assert.notEqual(parsePolicy(VALID.replace('Length.', 'Length and style.'), 'a.md').hash, a.hash);
});

const BROKEN: Array<[string, string, number | undefined]> = [
  ['no front matter', VALID.replace(/^---\n/, ''), 1],
  ['unclosed front matter', VALID.replace('title: Tiny policy\n---', 'title: Tiny policy'), 6],
  ['unknown key', VALID.replace('title:', 'titel:'), 3],
  ['missing name', VALID.replace('name: tiny\n', ''), 1],
  ['missing task', VALID.replace('## Task\nGrade the document.\n', ''), undefined],
  ['missing grades', VALID.replace('## Grades', '## Levelz'), undefined],
  ['gap in grades', VALID.replace('### 1 — Relevant', '### 3 — Relevant'), 14],
  ['duplicate grade', VALID.replace('### 2: Perfect', '### 1: Perfect'), 14],
  ['empty definition', VALID.replace('About the query.\n', ''), 12],
  ['bad grade heading', VALID.replace('### 2: Perfect', '### two: Perfect'), 14],
  ['bad relevant_from', VALID.replace('title: Tiny policy', 'relevant_from: 5'), 3],
];

for (const [what, text, line] of BROKEN) {
  test(`an invalid policy is refused with file and line: ${what}`, () => {
    assert.throws(
      () => parsePolicy(text, 'p.md'),
      (error: unknown) =>
        isSiftError(error, 'E_POLICY_INVALID') &&
        error.context.file === 'p.md' &&
        error.context.line === line,
    );
  });
}

test('a missing policy file is E_FILE_NOT_FOUND', async () => {
  await assert.rejects(loadPolicy('/nonexistent/policy.md'), (error: unknown) =>
    isSiftError(error, 'E_FILE_NOT_FOUND'),
  );
});
