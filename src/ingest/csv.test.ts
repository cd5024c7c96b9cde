// Tests for the RFC 4180 CSV parser and the header-keyed CSV record reader.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createReadStats } from './bad-records.js';
import { type CsvEvent, CsvParser, readCsvRecords } from './csv.js';
import { collect, createFixtureFolder, type FixtureFolder, rejectsWithCode } from './temp-fixtures.js';

function parseAll(text: string, chunkSize = text.length): CsvEvent[] {
  const parser = new CsvParser('test.csv');
  const events: CsvEvent[] = [];
  for (let i = 0; i < text.length; i += Math.max(1, chunkSize))
    events.push(...parser.feed(text.slice(i, i + chunkSize)));
  events.push(...parser.end());
  return events;
}

function rows(text: string, chunkSize?: number): Array<{ row: string[]; line: number }> {
  return parseAll(text, chunkSize).map((event) => {
    if ('error' in event) throw event.error;
    return event;
  });
}

describe('CsvParser', () => {
  test('splits plain rows on commas, with LF or CRLF row ends', () => {
    assert.deepEqual(rows('a,b,c\r\n1,2,3\n4,,6'), [
      { row: ['a', 'b', 'c'], line: 1 },
      { row: ['1', '2', '3'], line: 2 },
      { row: ['4', '', '6'], line: 3 },
    ]);
  });

  test('quoted fields keep commas, line breaks and doubled quotes', () => {
    const text = 'id,text\r\n1,"hello, world"\r\n2,"two\r\nlines"\r\n3,"say ""hi"""\r\n4,""\r\n';
    assert.deepEqual(rows(text), [
      { row: ['id', 'text'], line: 1 },
      { row: ['1', 'hello, world'], line: 2 },
      { row: ['2', 'two\r\nlines'], line: 3 },
      { row: ['3', 'say "hi"'], line: 5 },
      { row: ['4', ''], line: 6 },
    ]);
  });

  test('gives the same rows however the input is split into chunks', () => {
    const text = 'a,b\r\n"x,\n""y""",z\r\n"",\r\n\r\nlast,"row"';
    const whole = rows(text);
    for (let size = 1; size <= text.length; size += 1)
      assert.deepEqual(rows(text, size), whole, `chunk ${size}`);
  });

  test('round-trips random fields written the RFC 4180 way, in random chunks', () => {
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = ['a', 'b', ' ', ',', '"', '\n', '\r\n', 'é', '😀'];
    const field = (): string =>
      Array.from({ length: random(5) }, () => alphabet[random(alphabet.length)]).join('');
    for (let round = 0; round < 200; round += 1) {
      const table = Array.from({ length: 1 + random(4) }, () => Array.from({ length: 3 }, field));
      const quote = (value: string): string =>
        /[",\r\n]/.test(value) || value === '' ? `"${value.replaceAll('"', '""')}"` : value;
      const text = table.map((row) => row.map(quote).join(',')).join(random(2) === 0 ? '\r\n' : '\n');
      const parsed = rows(text, 1 + random(8)).map((r) => r.row);
      assert.deepEqual(parsed, table, JSON.stringify(text));
    }
  });

  test('a trailing line break adds no row; an empty line is one empty field', () => {
    assert.deepEqual(rows('a\n\nb\n'), [
      { row: ['a'], line: 1 },
      { row: [''], line: 2 },
      { row: ['b'], line: 3 },
    ]);
    assert.deepEqual(rows(''), []);
  });

  test('a quote inside an unquoted field is kept as written', () => {
    assert.deepEqual(rows('5" disk,x'), [{ row: ['5" disk', 'x'], line: 1 }]);
  });

  test('text after a closing quote spoils that line only', () => {
    const events = parseAll('a,b\n"x"y,1\nc,d\n');
    assert.equal(events.length, 3);
    const [, bad, next] = events;
    assert.ok(bad !== undefined && 'error' in bad);
    assert.equal(bad.error.code, 'E_BAD_CSV');
    assert.deepEqual(bad.error.context, { file: 'test.csv', line: 2 });
    assert.deepEqual(next, { row: ['c', 'd'], line: 3 });
  });

  test('an unclosed quote is an error on the line it opened', () => {
    const events = parseAll('a,b\n1,"never\nclosed\n');
    const last = events.at(-1);
    assert.ok(last !== undefined && 'error' in last);
    assert.equal(last.error.code, 'E_BAD_CSV');
    assert.equal(last.error.context.line, 2);
  });
});

describe('readCsvRecords', () => {
  let fixtures: FixtureFolder;
  before(async () => {
    fixtures = await createFixtureFolder();
  });
  after(() => fixtures.remove());

  test('keys rows by trimmed header names and skips blank lines', async () => {
    const path = await fixtures.write('ok.csv', '\uFEFF id , text\r\n1,"a, b"\r\n\r\n2,c\r\n');
    const records = await collect(readCsvRecords(path, {}));
    assert.deepEqual(
      records.map((r) => [r.line, Object.fromEntries(r.values)]),
      [
        [2, { id: '1', text: 'a, b' }],
        [4, { id: '2', text: 'c' }],
      ],
    );
  });

  test('a row with the wrong number of fields fails, or is skipped and counted', async () => {
    const path = await fixtures.write('width.csv', 'id,text\n1,a\n2,b,extra\n3\n4,d\n');
    await rejectsWithCode(() => collect(readCsvRecords(path, {})), 'E_BAD_CSV', { file: path, line: 3 });
    const stats = createReadStats();
    const records = await collect(readCsvRecords(path, { onBadRecord: 'skip', stats }));
    assert.deepEqual(
      records.map((r) => r.values.get('id')),
      ['1', '4'],
    );
    assert.equal(stats.skipped, 2);
    assert.equal(stats.read, 0, 'readCsvRecords leaves read counting to the record reader');
  });

  test('header problems fail even in skip mode', async () => {
    const skip = { onBadRecord: 'skip' as const, stats: createReadStats() };
    const duplicate = await fixtures.write('dup-header.csv', 'id,text,id\n1,a,b\n');
    await rejectsWithCode(() => collect(readCsvRecords(duplicate, skip)), 'E_BAD_CSV', {
      line: 1,
      field: 'id',
    });
    const unnamed = await fixtures.write('unnamed.csv', 'id,,text\n');
    await rejectsWithCode(() => collect(readCsvRecords(unnamed, skip)), 'E_BAD_CSV', { line: 1 });
    const badQuote = await fixtures.write('bad-header.csv', '"id"x,text\n1,a\n');
    await rejectsWithCode(() => collect(readCsvRecords(badQuote, skip)), 'E_BAD_CSV', { line: 1 });
    const empty = await fixtures.write('empty.csv', '\n');
    await rejectsWithCode(() => collect(readCsvRecords(empty, skip)), 'E_BAD_CSV', { file: empty });
  });

  test('a missing file is E_FILE_NOT_FOUND', async () => {
    const missing = `${fixtures.dir}/nope.csv`;
    await rejectsWithCode(() => collect(readCsvRecords(missing, {})), 'E_FILE_NOT_FOUND', { file: missing });
  });
});
