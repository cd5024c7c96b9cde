// Tests for the JSON Lines reader and the shared bad-record policy.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createReadStats, MAX_SKIPPED_EXAMPLES } from './bad-records.js';
import { readJsonLines } from './jsonl.js';
import { collect, createFixtureFolder, type FixtureFolder, rejectsWithCode } from './temp-fixtures.js';
import type { ReadOptions } from './types.js';

describe('readJsonLines', () => {
  let fixtures: FixtureFolder;
  before(async () => {
    fixtures = await createFixtureFolder();
  });
  after(() => fixtures.remove());

  test('yields each value with its physical line, skipping blank lines', async () => {
    const path = await fixtures.write('ok.jsonl', '{"a":1}\n\n   \n[2]\n"three"\n');
    const lines = await collect(readJsonLines(path));
    assert.deepEqual(lines, [
      { value: { a: 1 }, line: 1 },
      { value: [2], line: 4 },
      { value: 'three', line: 5 },
    ]);
  });

  test('reads CRLF line ends, a byte order mark, and a last line without a line break', async () => {
    const path = await fixtures.write('crlf.jsonl', '\uFEFF{"a":1}\r\n{"b":2}');
    const lines = await collect(readJsonLines(path));
    assert.deepEqual(lines, [
      { value: { a: 1 }, line: 1 },
      { value: { b: 2 }, line: 2 },
    ]);
  });

  test('an unparsable line fails with E_BAD_JSONL naming file and line', async () => {
    const path = await fixtures.write('bad.jsonl', '{"a":1}\n{"a":\n{"a":3}\n');
    await rejectsWithCode(() => collect(readJsonLines(path)), 'E_BAD_JSONL', { file: path, line: 2 });
  });

  test('skip mode leaves bad lines out, counts them and keeps the first few reasons', async () => {
    const bad = Array.from({ length: MAX_SKIPPED_EXAMPLES + 2 }, () => '{oops');
    const path = await fixtures.write('many-bad.jsonl', ['1', ...bad, '2'].join('\n'));
    const stats = createReadStats();
    const lines = await collect(readJsonLines(path, { onBadRecord: 'skip', stats }));
    assert.deepEqual(
      lines.map((l) => l.value),
      [1, 2],
    );
    assert.equal(stats.read, 2);
    assert.equal(stats.skipped, MAX_SKIPPED_EXAMPLES + 2);
    assert.equal(stats.skippedExamples.length, MAX_SKIPPED_EXAMPLES);
    assert.ok(stats.skippedExamples[0]?.includes(`${path}:2:`));
  });

  test('a stats object adds up across files', async () => {
    const path = await fixtures.write('two.jsonl', '1\n2\n');
    const stats = createReadStats();
    await collect(readJsonLines(path, { stats }));
    await collect(readJsonLines(path, { stats }));
    assert.equal(stats.read, 4);
  });

  test('a missing file is E_FILE_NOT_FOUND, a folder is E_PATH_KIND', async () => {
    const missing = `${fixtures.dir}/nope.jsonl`;
    await rejectsWithCode(() => collect(readJsonLines(missing)), 'E_FILE_NOT_FOUND', { file: missing });
    await rejectsWithCode(() => collect(readJsonLines(fixtures.dir)), 'E_PATH_KIND', {
      file: fixtures.dir,
    });
  });

  test('skip without stats, or an unknown policy, is E_BAD_ARGUMENT', async () => {
    const path = await fixtures.write('one.jsonl', '1\n');
    const noStats = { onBadRecord: 'skip' } as unknown as ReadOptions;
    await rejectsWithCode(() => collect(readJsonLines(path, noStats)), 'E_BAD_ARGUMENT', { field: 'stats' });
    const unknown = { onBadRecord: 'ignore' } as unknown as ReadOptions;
    await rejectsWithCode(() => collect(readJsonLines(path, unknown)), 'E_BAD_ARGUMENT', {
      field: 'onBadRecord',
    });
  });

  test('stopping early releases the file', async () => {
    const path = await fixtures.write(
      'long.jsonl',
      `${Array.from({ length: 10_000 }, (_, i) => i).join('\n')}\n`,
    );
    for await (const { value } of readJsonLines(path)) {
      assert.equal(value, 0);
      break;
    }
  });
});
