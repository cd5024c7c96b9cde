// Reads and writes TREC runs and both qrels layouts through temp files, including malformed input.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSiftError, type SiftError } from '../errors.js';
import { type Run, readQrels, readTrecRun, writeTrecRun } from './run.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sift-eval-run-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Runs `action`, expecting a SiftError with `code`; returns it for further checks. */
async function expectSiftError(action: () => Promise<unknown>, code: SiftError['code']): Promise<SiftError> {
  try {
    await action();
  } catch (error) {
    assert.ok(isSiftError(error, code), `expected ${code}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${code}, but nothing was thrown`);
}

const ids = (run: Run, qid: string): string[] => (run.get(qid) ?? []).map((d) => d.docId);

describe('readTrecRun', () => {
  it('parses runs and ranks each query by score, ties by docId descending', async () => {
    const path = await file(
      'a.run',
      [
        '1 Q0 d1 1 0.5 bm25',
        '1\tQ0\td3\t2\t0.9\tbm25', // tabs are whitespace too
        '',
        '2 Q0 x 1 1e-3 bm25',
        '1 Q0 d2 3 0.5 bm25\r', // a CRLF file
        '1 Q0 d0 4 -inf bm25',
      ].join('\n'),
    );
    const run = await readTrecRun(path);
    assert.deepEqual([...run.keys()], ['1', '2']);
    // The rank column is ignored: 0.9 first, then the 0.5 tie d2 > d1, then -inf.
    assert.deepEqual(ids(run, '1'), ['d3', 'd2', 'd1', 'd0']);
    assert.equal(run.get('1')?.[3]?.score, Number.NEGATIVE_INFINITY);
    assert.deepEqual(run.get('2'), [{ docId: 'x', score: 0.001 }]);
  });

  it('reports a malformed line as E_BAD_TSV with its line number', async () => {
    const path = await file('bad.run', '1 Q0 d1 1 0.5 t\n\n1 Q0 d2 2 0.4\n');
    const error = await expectSiftError(() => readTrecRun(path), 'E_BAD_TSV');
    assert.equal(error.context.line, 3);
    assert.equal(error.context.file, path);
    assert.match(error.message, /bad\.run:3: .*\[E_BAD_TSV\]$/);
  });

  it('rejects a score or rank that is not a number', async () => {
    const score = await file('score.run', '1 Q0 d1 1 high t\n');
    const scoreError = await expectSiftError(() => readTrecRun(score), 'E_BAD_TSV');
    assert.equal(scoreError.context.field, 'score');
    assert.equal(scoreError.context.line, 1);
    const rank = await file('rank.run', '1 Q0 d1 1 0.5 t\n1 Q0 d2 second 0.4 t\n');
    const rankError = await expectSiftError(() => readTrecRun(rank), 'E_BAD_TSV');
    assert.equal(rankError.context.line, 2);
    await expectSiftError(() => readTrecRun(join(dir, 'absent.run')), 'E_FILE_NOT_FOUND');
  });

  it('rejects a document retrieved twice for one query', async () => {
    const path = await file('dup.run', '1 Q0 d1 1 0.5 t\n2 Q0 d1 1 0.5 t\n1 Q0 d1 2 0.4 t\n');
    const error = await expectSiftError(() => readTrecRun(path), 'E_DUPLICATE_ID');
    assert.equal(error.context.line, 3);
  });
});

describe('writeTrecRun', () => {
  it('writes ranks in trec_eval order and reads back the same run', async () => {
    const run: Run = new Map([
      [
        'q1',
        [
          { docId: 'a', score: 0.1 },
          { docId: 'b', score: 0.30000000000000004 },
          { docId: 'c', score: 0.1 },
        ],
      ],
      ['q2', [{ docId: 'z', score: -2 }]],
    ]);
    const path = join(dir, 'out.run');
    await writeTrecRun(path, run, 'sift');
    const text = await readFile(path, 'utf8');
    assert.equal(
      text,
      'q1 Q0 b 1 0.30000000000000004 sift\nq1 Q0 c 2 0.1 sift\nq1 Q0 a 3 0.1 sift\nq2 Q0 z 1 -2 sift\n',
    );
    const back = await readTrecRun(path);
    assert.deepEqual(ids(back, 'q1'), ['b', 'c', 'a']);
    assert.equal(back.get('q1')?.[0]?.score, 0.30000000000000004);
    // The temporary file was renamed away, not left beside the run.
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.includes('out.run')),
      ['out.run'],
    );
  });

  it('replaces an existing file and refuses ids or tags with whitespace', async () => {
    const path = await file('replace.run', 'old contents\n');
    await writeTrecRun(path, new Map([['q', [{ docId: 'd', score: 1 }]]]), 't');
    assert.equal(await readFile(path, 'utf8'), 'q Q0 d 1 1 t\n');
    await expectSiftError(() => writeTrecRun(path, new Map(), 'two words'), 'E_BAD_ARGUMENT');
    await expectSiftError(
      () => writeTrecRun(path, new Map([['q', [{ docId: 'a b', score: 1 }]]]), 't'),
      'E_BAD_ARGUMENT',
    );
    // The failed write left the previous file as it was, and no temporary file behind.
    assert.equal(await readFile(path, 'utf8'), 'q Q0 d 1 1 t\n');
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.includes('replace.run')),
      ['replace.run'],
    );
  });

  it('reports a folder that does not exist as E_IO', async () => {
    await expectSiftError(() => writeTrecRun(join(dir, 'missing', 'x.run'), new Map(), 't'), 'E_IO');
  });
});

describe('readQrels', () => {
  const expected = new Map([
    [
      '1',
      new Map([
        ['184', 3],
        ['29', 0],
      ]),
    ],
    ['2', new Map([['12', 1]])],
  ]);

  it('reads BEIR TSV with a header', async () => {
    const path = await file('beir.tsv', 'query-id\tcorpus-id\tscore\n1\t184\t3\n1\t29\t0\n2\t12\t1\n');
    assert.deepEqual(await readQrels(path), expected);
  });

  it('reads BEIR TSV without a header, and with CRLF line ends', async () => {
    const path = await file('beir-nohead.tsv', '1\t184\t3\r\n1\t29\t0\r\n2\t12\t1\r\n');
    assert.deepEqual(await readQrels(path), expected);
  });

  it('reads TREC qrels, ignoring the iteration column', async () => {
    const path = await file('trec.qrels', '1 0 184 3\n1 0 29 0\n\n2 Q0 12 1\n');
    assert.deepEqual(await readQrels(path), expected);
  });

  it('keeps a BEIR docid that contains a space whole', async () => {
    const path = await file('space.tsv', 'query-id\tcorpus-id\tscore\nq\tdoc one\t2\n');
    assert.deepEqual(await readQrels(path), new Map([['q', new Map([['doc one', 2]])]]));
  });

  it('reports a malformed line as E_BAD_TSV with its line number', async () => {
    // Line 1 header, 2 good, 3 blank, 4 has a non-integer grade.
    const grade = await file('bad-grade.tsv', 'query-id\tcorpus-id\tscore\n1\t184\t3\n\n1\t29\thigh\n');
    const gradeError = await expectSiftError(() => readQrels(grade), 'E_BAD_TSV');
    assert.equal(gradeError.context.line, 4);
    assert.equal(gradeError.context.field, 'grade');

    const fields = await file('bad-fields.qrels', '1 0 184 3\n1 0 29\n');
    const fieldsError = await expectSiftError(() => readQrels(fields), 'E_BAD_TSV');
    assert.equal(fieldsError.context.line, 2);

    const five = await file('bad-five.qrels', '1 0 184 3\n1 0 29 1 extra\n');
    assert.equal((await expectSiftError(() => readQrels(five), 'E_BAD_TSV')).context.line, 2);

    const header = await file('late-header.tsv', '1\t184\t3\nquery-id\tcorpus-id\tscore\n');
    assert.equal((await expectSiftError(() => readQrels(header), 'E_BAD_TSV')).context.line, 2);
  });

  it('rejects a document judged twice and a missing file', async () => {
    const path = await file('dup.tsv', '1\t184\t3\n1\t184\t2\n');
    assert.equal((await expectSiftError(() => readQrels(path), 'E_DUPLICATE_ID')).context.line, 2);
    await expectSiftError(() => readQrels(join(dir, 'absent.tsv')), 'E_FILE_NOT_FOUND');
  });
});
