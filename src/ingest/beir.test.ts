// Tests for the BEIR corpus, queries and qrels readers on tiny fixture files.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createReadStats } from './bad-records.js';
import { loadBeirCollection, readBeirCorpus, readBeirQrels, readBeirQueries } from './beir.js';
import { collect, createFixtureFolder, type FixtureFolder, rejectsWithCode } from './temp-fixtures.js';

const lines = (...records: unknown[]): string => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;

let fixtures: FixtureFolder;
before(async () => {
  fixtures = await createFixtureFolder();
});
after(() => fixtures.remove());

describe('readBeirCorpus', () => {
  test('maps _id/title/text, defaults title, coerces numeric ids, gathers metadata', async () => {
    const path = await fixtures.write(
      'corpus.jsonl',
      lines(
        { _id: 'd1', title: 'One', text: 'first', metadata: { url: 'u1', year: 1999 } },
        { _id: 7, text: 'second', lang: 'en', tags: ['a', 'b'], score: [1, 2], draft: false },
        { _id: 'd3', title: null, text: '', metadata: { gone: null }, extra: null },
      ),
    );
    const docs = await collect(readBeirCorpus(path));
    assert.deepEqual(docs, [
      { id: 'd1', title: 'One', text: 'first', metadata: { url: 'u1', year: 1999 } },
      {
        id: '7',
        title: '',
        text: 'second',
        metadata: { lang: 'en', tags: ['a', 'b'], score: [1, 2], draft: false },
      },
      { id: 'd3', title: '', text: '', metadata: {} },
    ]);
  });

  const badRecords: Array<[string, unknown, string | undefined]> = [
    ['missing text', { _id: 'x' }, 'text'],
    ['text not a string', { _id: 'x', text: 5 }, 'text'],
    ['title not a string', { _id: 'x', title: ['t'], text: 't' }, 'title'],
    ['missing _id', { text: 't' }, '_id'],
    ['empty _id', { _id: ' ', text: 't' }, '_id'],
    ['boolean _id', { _id: true, text: 't' }, '_id'],
    ['metadata not an object', { _id: 'x', text: 't', metadata: 'm' }, 'metadata'],
    ['nested metadata object', { _id: 'x', text: 't', metadata: { a: { b: 1 } } }, 'metadata.a'],
    ['nested top-level field', { _id: 'x', text: 't', author: { name: 'n' } }, 'author'],
    ['mixed list', { _id: 'x', text: 't', tags: ['a', 1] }, 'tags'],
    [
      'field both top level and in metadata',
      { _id: 'x', text: 't', url: 'a', metadata: { url: 'b' } },
      'url',
    ],
    ['array record', [{ _id: 'x', text: 't' }], undefined],
  ];
  for (const [name, record, field] of badRecords) {
    test(`${name} is E_BAD_JSONL naming file, line and field`, async () => {
      const path = await fixtures.write(
        `bad-${name.replaceAll(' ', '-')}.jsonl`,
        lines({ _id: 'ok', text: 'ok' }, record),
      );
      await rejectsWithCode(() => collect(readBeirCorpus(path)), 'E_BAD_JSONL', {
        file: path,
        line: 2,
        field,
      });
    });
  }

  test('unparsable JSON is E_BAD_JSONL with its line', async () => {
    const path = await fixtures.write('broken.jsonl', '{"_id":"a","text":"t"}\n\n{"_id":"b",\n');
    await rejectsWithCode(() => collect(readBeirCorpus(path)), 'E_BAD_JSONL', { file: path, line: 3 });
  });

  test('a repeated _id is E_DUPLICATE_ID naming both lines', async () => {
    const path = await fixtures.write(
      'dup.jsonl',
      lines({ _id: 'a', text: '1' }, { _id: 'b', text: '2' }, { _id: 'a', text: '3' }),
    );
    await rejectsWithCode(() => collect(readBeirCorpus(path)), 'E_DUPLICATE_ID', {
      file: path,
      line: 3,
      firstLine: 1,
      id: 'a',
    });
  });

  test('skip mode keeps good docs (the first of duplicates) and counts every bad line', async () => {
    const path = await fixtures.write(
      'mixed.jsonl',
      `${lines({ _id: 'a', text: '1' }, { _id: 'b' })}not json\n${lines({ _id: 'a', text: 'again' }, { _id: 'c', text: '3' })}`,
    );
    const stats = createReadStats();
    const docs = await collect(readBeirCorpus(path, { onBadRecord: 'skip', stats }));
    assert.deepEqual(
      docs.map((d) => [d.id, d.text]),
      [
        ['a', '1'],
        ['c', '3'],
      ],
    );
    assert.deepEqual({ read: stats.read, skipped: stats.skipped }, { read: 2, skipped: 3 });
    assert.equal(stats.skippedExamples.length, 3);
    for (const [i, line] of [2, 3, 4].entries())
      assert.ok(stats.skippedExamples[i]?.startsWith(`${path}:${line}:`));
  });

  test('a missing corpus is E_FILE_NOT_FOUND', async () => {
    const missing = join(fixtures.dir, 'none', 'corpus.jsonl');
    await rejectsWithCode(() => collect(readBeirCorpus(missing)), 'E_FILE_NOT_FOUND', { file: missing });
  });
});

describe('readBeirQueries', () => {
  test('reads ids and text, with metadata and other fields in metadata', async () => {
    const path = await fixtures.write(
      'queries.jsonl',
      lines({ _id: 'q1', text: 'first' }, { _id: 2, text: 'second', title: 't', metadata: { orig: '002' } }),
    );
    assert.deepEqual(await readBeirQueries(path), [
      { id: 'q1', text: 'first' },
      { id: '2', text: 'second', metadata: { orig: '002', title: 't' } },
    ]);
  });

  test('bad and duplicate queries fail or are skipped and counted', async () => {
    const path = await fixtures.write(
      'bad-queries.jsonl',
      lines({ _id: 'q1', text: 'a' }, { _id: 'q2' }, { _id: 'q1', text: 'b' }),
    );
    await rejectsWithCode(() => readBeirQueries(path), 'E_BAD_JSONL', { line: 2, field: 'text' });
    const stats = createReadStats();
    const queries = await readBeirQueries(path, { onBadRecord: 'skip', stats });
    assert.deepEqual(queries, [{ id: 'q1', text: 'a' }]);
    assert.deepEqual({ read: stats.read, skipped: stats.skipped }, { read: 1, skipped: 2 });
  });
});

describe('readBeirQrels', () => {
  test('reads the BEIR header form into graded judgments', async () => {
    const path = await fixtures.write(
      'qrels.tsv',
      'query-id\tcorpus-id\tscore\r\nq1\td1\t2\r\nq1\td2\t0\r\n\r\nq2\td1\t1\r\n',
    );
    const qrels = await readBeirQrels(path);
    assert.deepEqual(
      [...qrels].map(([q, judged]) => [q, [...judged]]),
      [
        [
          'q1',
          [
            ['d1', 2],
            ['d2', 0],
          ],
        ],
        ['q2', [['d1', 1]]],
      ],
    );
  });

  test('reads headerless TREC qrels', async () => {
    const path = await fixtures.write('trec.qrels', '401 0 FBIS3-10082 1\n401 0 FBIS3-10169 -1\n');
    const qrels = await readBeirQrels(path);
    assert.equal(qrels.get('401')?.get('FBIS3-10082'), 1);
    assert.equal(qrels.get('401')?.get('FBIS3-10169'), -1);
  });

  test('malformed lines are E_BAD_TSV naming line and field', async () => {
    const header = 'query-id\tcorpus-id\tscore\n';
    const score = await fixtures.write('score.tsv', `${header}q1\td1\t1\nq1\td2\thigh\n`);
    await rejectsWithCode(() => readBeirQrels(score), 'E_BAD_TSV', { file: score, line: 3, field: 'score' });
    const fractional = await fixtures.write('fraction.tsv', `${header}q1\td1\t0.5\n`);
    await rejectsWithCode(() => readBeirQrels(fractional), 'E_BAD_TSV', { line: 2, field: 'score' });
    const columns = await fixtures.write('columns.tsv', `${header}q1\td1\n`);
    await rejectsWithCode(() => readBeirQrels(columns), 'E_BAD_TSV', { file: columns, line: 2 });
    const emptyDoc = await fixtures.write('empty-doc.tsv', `${header}q1\t\t1\n`);
    await rejectsWithCode(() => readBeirQrels(emptyDoc), 'E_BAD_TSV', { line: 2, field: 'corpus-id' });
  });

  test('a repeated (query, doc) pair is E_DUPLICATE_ID naming both lines; skip keeps the first', async () => {
    const path = await fixtures.write(
      'dup.tsv',
      'query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td1\t2\nq1\tbad\tx\n',
    );
    await rejectsWithCode(() => readBeirQrels(path), 'E_DUPLICATE_ID', { line: 3, firstLine: 2 });
    const stats = createReadStats();
    const qrels = await readBeirQrels(path, { onBadRecord: 'skip', stats });
    assert.equal(qrels.get('q1')?.get('d1'), 1);
    assert.deepEqual({ read: stats.read, skipped: stats.skipped }, { read: 1, skipped: 2 });
  });
});

describe('loadBeirCollection', () => {
  let folder: string;
  before(async () => {
    folder = join(fixtures.dir, 'tiny-beir');
    await fixtures.write('tiny-beir/corpus.jsonl', lines({ _id: 'd1', text: 'x' }));
    await fixtures.write(
      'tiny-beir/queries.jsonl',
      lines({ _id: 'q1', text: 'x?' }, { _id: 'q2', text: 'y?' }),
    );
    await fixtures.write('tiny-beir/qrels/test.tsv', 'query-id\tcorpus-id\tscore\nq1\td1\t1\n');
    await fixtures.write('tiny-beir/qrels/dev.tsv', 'query-id\tcorpus-id\tscore\nq2\td1\t2\n');
  });

  test('locates the files, loads queries and the test split, and leaves the corpus on disk', async () => {
    const collection = await loadBeirCollection(folder);
    assert.equal(collection.name, 'tiny-beir');
    assert.equal(collection.folder, folder);
    assert.equal(collection.split, 'test');
    assert.equal(collection.corpusPath, join(folder, 'corpus.jsonl'));
    assert.equal(collection.qrelsPath, join(folder, 'qrels', 'test.tsv'));
    assert.deepEqual(
      collection.queries.map((q) => q.id),
      ['q1', 'q2'],
    );
    assert.equal(collection.qrels.get('q1')?.get('d1'), 1);
    const docs = await collect(readBeirCorpus(collection.corpusPath));
    assert.equal(docs.length, 1);
  });

  test('loads another split when asked', async () => {
    const collection = await loadBeirCollection(`${folder}/`, { split: 'dev' });
    assert.equal(collection.name, 'tiny-beir');
    assert.equal(collection.qrels.get('q2')?.get('d1'), 2);
    assert.equal(collection.qrels.has('q1'), false);
  });

  test('a missing split is E_FILE_NOT_FOUND on the qrels path; an odd split name is E_BAD_ARGUMENT', async () => {
    const error = await rejectsWithCode(
      () => loadBeirCollection(folder, { split: 'train' }),
      'E_FILE_NOT_FOUND',
      {
        file: join(folder, 'qrels', 'train.tsv'),
        field: 'split',
      },
    );
    assert.ok(error.message.includes('dev, test'), 'lists the splits that exist');
    await rejectsWithCode(() => loadBeirCollection(folder, { split: '../x' }), 'E_BAD_ARGUMENT', {
      field: 'split',
    });
  });

  test('a missing folder or corpus is E_FILE_NOT_FOUND; a file is E_PATH_KIND', async () => {
    const missing = join(fixtures.dir, 'no-such-collection');
    await rejectsWithCode(() => loadBeirCollection(missing), 'E_FILE_NOT_FOUND', { file: missing });
    const noCorpus = join(fixtures.dir, 'no-corpus');
    await fixtures.write('no-corpus/queries.jsonl', lines({ _id: 'q', text: 'q' }));
    await rejectsWithCode(() => loadBeirCollection(noCorpus), 'E_FILE_NOT_FOUND', {
      file: join(noCorpus, 'corpus.jsonl'),
    });
    const file = join(folder, 'corpus.jsonl');
    await rejectsWithCode(() => loadBeirCollection(file), 'E_PATH_KIND', { file });
  });
});
