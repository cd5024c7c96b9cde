// A teacher-scoring chunk's id, its job data check and its result file, without a queue: the id follows
// what is scored (not where the result goes), malformed data is refused naming the field, and a result
// file that is not this chunk's scores is refused naming the file.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isSiftError } from '../errors.js';
import {
  encodeChunkScores,
  parseScoreChunk,
  readChunkScores,
  SCORE_CHUNK_VERSION,
  type ScoreChunk,
  scoreChunkFile,
  scoreChunkId,
} from './score-chunk.js';

const folders: string[] = [];
after(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

function chunkIn(out: string): ScoreChunk {
  return {
    version: SCORE_CHUNK_VERSION,
    model: '/models/teacher',
    modelId: 'teacher',
    maxLength: 64,
    out,
    lists: [
      {
        query: 'wing flutter',
        docs: [
          { id: 'd1', title: 'Flutter', text: 'wings' },
          { id: 'd2', title: '', text: 'x' },
        ],
      },
      { query: 'heat transfer', docs: [{ id: 'd3', title: 'Heat', text: 'slabs' }] },
    ],
  };
}

test('the chunk id follows the model, the length and the lists, not the result folder', () => {
  const chunk = chunkIn('/tmp/a');
  assert.equal(scoreChunkId(chunk), scoreChunkId(chunkIn('/tmp/b')));
  assert.notEqual(scoreChunkId(chunk), scoreChunkId({ ...chunk, maxLength: 128 }));
  assert.notEqual(scoreChunkId(chunk), scoreChunkId({ ...chunk, model: '/models/other' }));
  assert.notEqual(scoreChunkId(chunk), scoreChunkId({ ...chunk, lists: chunk.lists.slice(1) }));
  assert.equal(scoreChunkFile(chunk), join('/tmp/a', `${scoreChunkId(chunk)}.json`));
});

test('job data is checked field by field, naming the job and the field', () => {
  const good = chunkIn('/tmp/a');
  assert.deepEqual(parseScoreChunk(good, 'j1'), good);
  const refused = (data: unknown, field: RegExp) =>
    assert.throws(
      () => parseScoreChunk(data, 'j1'),
      (error: unknown) => isSiftError(error) && error.code === 'E_BAD_JOB' && field.test(error.message),
    );
  refused(null, /job j1: field "data" is not an object/);
  refused({ ...good, version: 2 }, /field "version" is 2, this worker reads 1/);
  refused({ ...good, model: 'relative/teacher' }, /field "model" is not an absolute path/);
  refused({ ...good, maxLength: 2 }, /field "maxLength" is not an integer of at least 8/);
  refused({ ...good, out: '' }, /field "out" is not an absolute path/);
  refused({ ...good, lists: [] }, /field "lists" is not a non-empty array/);
  refused(
    { ...good, lists: [{ query: 'q', docs: [{ id: 'd', title: 't' }] }] },
    /field "lists\[0\]\.docs\[0\]\.text"/,
  );
});

test("a result file is read back only when it holds this chunk's scores, else refused naming the file", async () => {
  const out = await mkdtemp(join(tmpdir(), 'sift-score-chunk-'));
  folders.push(out);
  const chunk = chunkIn(out);
  const file = scoreChunkFile(chunk);
  // Float32 scores survive the JSON round trip exactly.
  const scores = [[Math.fround(0.1), Math.fround(-2.5)], [Math.fround(3.25)]];
  await writeFile(file, encodeChunkScores(chunk, scores));
  assert.deepEqual(await readChunkScores(chunk), scores);

  const refused = async (content: string, detail: RegExp) => {
    await writeFile(file, content);
    await assert.rejects(
      readChunkScores(chunk),
      (error: unknown) =>
        isSiftError(error) &&
        error.code === 'E_JOB_FAILED' &&
        error.context.file === file &&
        detail.test(error.message),
    );
  };
  await refused('{"version":1', /is not valid JSON/);
  await refused(encodeChunkScores({ ...chunk, maxLength: 128 }, scores), /is not chunk score-/);
  await refused(encodeChunkScores(chunk, [scores[0]!]), /holds 1 lists, expected 2/);
  await refused(encodeChunkScores(chunk, [scores[0]!, [1, 2]]), /list 1 holds 2 scores, expected 1/);
  await refused(
    encodeChunkScores(chunk, [scores[0]!, [null as unknown as number]]),
    /list 1 has a score that is not a finite number/,
  );
});
