// Tests for the user-document readers (JSON Lines and CSV) and the extension dispatch.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SiftError } from '../errors.js';
import { createReadStats } from './bad-records.js';
import { collect, createFixtureFolder, type FixtureFolder, rejectsWithCode } from './temp-fixtures.js';
import type { ReadOptions } from './types.js';
import {
  csvCellValue,
  type DocumentReadOptions,
  documentFormatOf,
  readCsvDocuments,
  readDocuments,
  readJsonlDocuments,
} from './user-docs.js';

const lines = (...records: unknown[]): string => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;

let fixtures: FixtureFolder;
before(async () => {
  fixtures = await createFixtureFolder();
});
after(() => fixtures.remove());

describe('readJsonlDocuments', () => {
  test('accepts id or _id, and turns every other field into metadata', async () => {
    const path = await fixtures.write(
      'docs.jsonl',
      lines(
        {
          id: 'j1',
          title: 'Engineer',
          text: 'builds',
          location: 'Oslo',
          salary: 100,
          remote: true,
          skills: ['ts'],
        },
        { _id: 2, text: 'two', rating: null, metadata: { level: 3 } },
      ),
    );
    assert.deepEqual(await collect(readJsonlDocuments(path)), [
      {
        id: 'j1',
        title: 'Engineer',
        text: 'builds',
        metadata: { location: 'Oslo', salary: 100, remote: true, skills: ['ts'] },
      },
      { id: '2', title: '', text: 'two', metadata: { level: 3 } },
    ]);
  });

  test('both id and _id, nested objects and missing text are E_BAD_JSONL naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ id: 'a', _id: 'b', text: 't' }, '_id'],
      [{ id: 'a', text: 't', address: { city: 'Oslo' } }, 'address'],
      [{ id: 'a', title: 'no text' }, 'text'],
      [{ text: 'no id' }, 'id'],
    ];
    for (const [i, [record, field]] of cases.entries()) {
      const path = await fixtures.write(`bad-${i}.jsonl`, lines({ id: 'ok', text: 'ok' }, record));
      await rejectsWithCode(() => collect(readJsonlDocuments(path)), 'E_BAD_JSONL', {
        file: path,
        line: 2,
        field,
      });
    }
  });

  test('a repeated id is E_DUPLICATE_ID, also when spelled once as id and once as _id', async () => {
    const path = await fixtures.write('dup.jsonl', lines({ id: 'a', text: '1' }, { _id: 'a', text: '2' }));
    await rejectsWithCode(() => collect(readJsonlDocuments(path)), 'E_DUPLICATE_ID', {
      line: 2,
      firstLine: 1,
    });
  });
});

describe('readCsvDocuments', () => {
  test('reads quoted commas, line breaks and doubled quotes; other columns become metadata', async () => {
    const path = await fixtures.write(
      'jobs.csv',
      [
        'id,title,text,location,salary,code,zip,note',
        'j1,"Engineer, Senior","Builds ""things"",\r\nand more",Oslo,120000.5,12345678901234567890,0123,',
        'j2,,plain,"Bergen, NO",-3e2,7,1,"multi',
        'line"',
        '',
      ].join('\r\n'),
    );
    const docs = await collect(readCsvDocuments(path));
    assert.deepEqual(docs, [
      {
        id: 'j1',
        title: 'Engineer, Senior',
        text: 'Builds "things",\r\nand more',
        metadata: { location: 'Oslo', salary: 120000.5, code: '12345678901234567890', zip: '0123' },
      },
      {
        id: 'j2',
        title: '',
        text: 'plain',
        metadata: { location: 'Bergen, NO', salary: -300, code: 7, zip: 1, note: 'multi\r\nline' },
      },
    ]);
  });

  test('numeric-looking cells follow JSON number grammar', () => {
    assert.equal(csvCellValue('42'), 42);
    assert.equal(csvCellValue('-0.5'), -0.5);
    assert.equal(csvCellValue('1e3'), 1000);
    for (const text of [
      '007',
      ' 42',
      '1,000',
      '1.',
      '.5',
      'NaN',
      'Infinity',
      '0x10',
      'true',
      '9007199254740993',
    ]) {
      assert.equal(csvCellValue(text), text, text);
    }
  });

  test('_id names the id column; title is optional', async () => {
    const path = await fixtures.write('alias.csv', '_id,text\n5,five\n');
    assert.deepEqual(await collect(readCsvDocuments(path)), [
      { id: '5', title: '', text: 'five', metadata: {} },
    ]);
  });

  test('a header without id or text columns fails, even in skip mode', async () => {
    const skip: ReadOptions = { onBadRecord: 'skip', stats: createReadStats() };
    const noText = await fixtures.write('no-text.csv', 'id,body\n1,x\n');
    await rejectsWithCode(() => collect(readCsvDocuments(noText, skip)), 'E_BAD_CSV', {
      line: 1,
      field: 'text',
    });
    const noId = await fixtures.write('no-id.csv', 'name,text\n1,x\n');
    await rejectsWithCode(() => collect(readCsvDocuments(noId, skip)), 'E_BAD_CSV', { line: 1, field: 'id' });
    const both = await fixtures.write('both-ids.csv', 'id,_id,text\n1,2,x\n');
    await rejectsWithCode(() => collect(readCsvDocuments(both, skip)), 'E_BAD_CSV', {
      line: 1,
      field: '_id',
    });
  });

  test('bad rows fail with their line, or are skipped and counted', async () => {
    const path = await fixtures.write(
      'rows.csv',
      'id,text,team\n1,one,a\n2,"two\nlines",b,extra\n,no id,c\n1,dup,d\n3,three,e\n"4"x,bad quote,f\n5,five,g\n',
    );
    await rejectsWithCode(() => collect(readCsvDocuments(path)), 'E_BAD_CSV', { file: path, line: 3 });
    const stats = createReadStats();
    const docs = await collect(readCsvDocuments(path, { onBadRecord: 'skip', stats }));
    assert.deepEqual(
      docs.map((d) => d.id),
      ['1', '3', '5'],
    );
    assert.deepEqual({ read: stats.read, skipped: stats.skipped }, { read: 3, skipped: 4 });
    assert.deepEqual(
      stats.skippedExamples.map((m) => m.slice(path.length + 1, m.indexOf(':', path.length + 1))),
      ['3', '5', '6', '8'],
    );
  });

  test('an empty id cell is E_BAD_CSV naming the id field; a repeated id is E_DUPLICATE_ID', async () => {
    const emptyId = await fixtures.write('empty-id.csv', 'id,text\n,x\n');
    await rejectsWithCode(() => collect(readCsvDocuments(emptyId)), 'E_BAD_CSV', { line: 2, field: 'id' });
    const dup = await fixtures.write('dup.csv', 'id,text\n1,"a\nb"\n1,c\n');
    await rejectsWithCode(() => collect(readCsvDocuments(dup)), 'E_DUPLICATE_ID', { line: 4, firstLine: 2 });
  });
});

describe('readDocuments', () => {
  test('dispatches on the extension, case-insensitively', async () => {
    const jsonl = await fixtures.write('a.NDJSON', lines({ id: 'n1', text: 'x' }));
    const csv = await fixtures.write('b.CSV', 'id,text\nc1,y\n');
    const json = await fixtures.write('c.json', lines({ id: 'j1', text: 'z' }));
    assert.deepEqual(
      (await collect(readDocuments(jsonl))).map((d) => d.id),
      ['n1'],
    );
    assert.deepEqual(
      (await collect(readDocuments(csv))).map((d) => d.id),
      ['c1'],
    );
    assert.deepEqual(
      (await collect(readDocuments(json))).map((d) => d.id),
      ['j1'],
    );
    assert.equal(documentFormatOf('x/y.jsonl'), 'jsonl');
  });

  test('format overrides the extension', async () => {
    const path = await fixtures.write('export.txt', 'id,text\nt1,x\n');
    assert.deepEqual(
      (await collect(readDocuments(path, { format: 'csv' }))).map((d) => d.id),
      ['t1'],
    );
  });

  test('an unknown extension or format is E_BAD_ARGUMENT before reading', () => {
    assert.throws(
      () => readDocuments('notes.txt'),
      (error) =>
        error instanceof SiftError && error.code === 'E_BAD_ARGUMENT' && error.context.file === 'notes.txt',
    );
    const odd = { format: 'xml' } as unknown as DocumentReadOptions;
    assert.throws(
      () => readDocuments('notes.csv', odd),
      (error) =>
        error instanceof SiftError && error.code === 'E_BAD_ARGUMENT' && error.context.field === 'format',
    );
  });

  test('a whole-file JSON array is E_BAD_JSONL on line 1', async () => {
    const path = await fixtures.write('array.json', '[{"id":"a","text":"x"}]\n');
    await rejectsWithCode(() => collect(readDocuments(path)), 'E_BAD_JSONL', { line: 1 });
  });
});
