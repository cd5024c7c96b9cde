import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSiftError } from '../errors.js';
import { parseJudgeAnswer, softLabelFromLogprobs } from './judge-output.js';

const ACCEPTED: Array<[string, number, string | undefined]> = [
  ['{"grade": 2, "rationale": "on topic"}', 2, 'on topic'],
  ['```json\n{"grade": 3, "rationale": "exact"}\n```', 3, 'exact'],
  ['Sure! Here is my answer: {"grade": 1, "rationale": "mentions it"} Hope that helps.', 1, 'mentions it'],
  ['{"grade": "0", "rationale": ""}', 0, undefined],
  ['{"rationale": "x", "grade": 3}', 3, 'x'],
  [' 2 ', 2, undefined],
];

for (const [content, grade, rationale] of ACCEPTED) {
  test(`accepts ${JSON.stringify(content.slice(0, 40))}`, () => {
    const parsed = parseJudgeAnswer(content, 3);
    assert.equal(parsed.grade, grade);
    assert.equal(parsed.rationale, rationale);
  });
}

const REFUSED = [
  '',
  'The document is relevant.',
  '{"grade": 4, "rationale": "too high"}',
  '{"grade": -1}',
  '{"grade": 2.5}',
  '{"grade": "two"}',
  '{"rationale": "no grade"}',
  '{"grade": 2',
  '[2]',
  '7',
];

for (const content of REFUSED) {
  test(`refuses ${JSON.stringify(content)} as E_JUDGE_OUTPUT`, () => {
    assert.throws(
      () => parseJudgeAnswer(content, 3),
      (error: unknown) => isSiftError(error, 'E_JUDGE_OUTPUT'),
    );
  });
}

test('a soft label comes from the alternatives at the grade token, renormalised over grades', () => {
  const tokens = [
    { token: '{"', logprob: 0, top: [] },
    { token: 'grade', logprob: 0, top: [] },
    { token: '":', logprob: 0, top: [] },
    {
      token: ' 2',
      logprob: Math.log(0.6),
      top: [
        { token: ' 2', logprob: Math.log(0.6) },
        { token: ' 3', logprob: Math.log(0.2) },
        { token: ' 1', logprob: Math.log(0.1) },
        { token: ' two', logprob: Math.log(0.1) },
      ],
    },
    { token: '}', logprob: 0, top: [] },
  ];
  const soft = softLabelFromLogprobs(tokens, 2, 3)!;
  assert.equal(soft.length, 4);
  assert.ok(Math.abs(soft.reduce((s, p) => s + p, 0) - 1) < 1e-12);
  assert.equal(soft[0], 0);
  assert.ok(Math.abs(soft[2]! - 0.6 / 0.9) < 1e-12);
  assert.ok(Math.abs(soft[3]! - 0.2 / 0.9) < 1e-12);
  assert.equal(softLabelFromLogprobs(tokens.slice(0, 3), 2, 3), undefined);
});
