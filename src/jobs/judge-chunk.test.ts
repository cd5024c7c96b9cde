// Chunk data as workers read it: every field checked and named; chunk ids derived from contents.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSiftError } from '../errors.js';
import { type JudgeChunk, judgeChunkId, parseJudgeChunk } from './judge-chunk.js';

const chunk: JudgeChunk = {
  version: 1,
  store: '/data/labels.sqlite',
  jobId: 3,
  policyHash: 'ab'.repeat(32),
  judge: { spec: 'local:smollm2-135m-instruct-q4', id: 'local:smollm2-135m-instruct-q4', outputAttempts: 3 },
  pairIds: [4, 9, 2],
};

test('a well-formed chunk reads back as it was written', () => {
  assert.deepEqual(parseJudgeChunk(JSON.parse(JSON.stringify(chunk)), 'j1'), chunk);
});

test('each malformed field is named, with the job id', () => {
  const cases: Array<[unknown, string]> = [
    [null, 'data'],
    [[], 'data'],
    [{ ...chunk, version: 2 }, 'version'],
    [{ ...chunk, store: 'labels.sqlite' }, 'store'],
    [{ ...chunk, jobId: 0 }, 'jobId'],
    [{ ...chunk, policyHash: 'xyz' }, 'policyHash'],
    [{ ...chunk, pairIds: [] }, 'pairIds'],
    [{ ...chunk, pairIds: [1, 2.5] }, 'pairIds[1]'],
    [{ ...chunk, judge: 'local' }, 'judge'],
    [{ ...chunk, judge: { id: 'x' } }, 'judge.spec'],
    [{ ...chunk, judge: { ...chunk.judge, retries: -1 } }, 'judge.retries'],
    [{ ...chunk, judge: { ...chunk.judge, softLabels: 'yes' } }, 'judge.softLabels'],
  ];
  for (const [data, field] of cases) {
    assert.throws(
      () => parseJudgeChunk(data, 'j7'),
      (e) => isSiftError(e, 'E_BAD_JOB') && e.context.field === field && e.message.startsWith('job j7: '),
      field,
    );
  }
});

test('the chunk id depends on what is labelled, not on the job row, and has no ":"', () => {
  const id = judgeChunkId(chunk);
  assert.match(id, /^judge-[0-9a-f]{32}$/);
  assert.equal(judgeChunkId({ ...chunk, jobId: 8 } as JudgeChunk), id);
  assert.notEqual(judgeChunkId({ ...chunk, pairIds: [4, 9] }), id);
  assert.notEqual(judgeChunkId({ ...chunk, judge: { ...chunk.judge, id: 'llama:x' } }), id);
});
