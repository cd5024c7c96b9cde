import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isSiftError } from '../errors.js';
import type { Doc } from '../ingest/index.js';
import { readSyntheticQueries, writeSyntheticQueries, writeSyntheticQuery } from './synthetic-queries.js';
import type { ChatBackend } from './types.js';

/** A writer that answers from a list, counting its calls (the prompt is not under test here). */
function listWriter(answers: string[]): ChatBackend & { calls: number } {
  const writer = {
    model: 'list',
    calls: 0,
    async complete() {
      const content = answers[writer.calls++ % answers.length] ?? '';
      return { content, usage: { prompt_tokens: 1, completion_tokens: 1 } };
    },
  };
  return writer;
}

const docs: Doc[] = ['a', 'b', 'c'].map((id) => ({
  id,
  title: `Doc ${id}`,
  text: `text of ${id}`,
  metadata: {},
}));

test('a written query is cleaned of leads, quotes and extra lines; nothing usable is undefined', async () => {
  assert.equal(
    await writeSyntheticQuery(listWriter(['Query: "remote rust jobs"\nbecause…']), docs[0]!),
    'remote rust jobs',
  );
  assert.equal(await writeSyntheticQuery(listWriter(['  ']), docs[0]!), undefined);
});

test('queries are appended as written and a second run asks only for the documents not yet done', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'sift-synthetic-')), 'q.jsonl');
  const first = listWriter(['first query', '']);
  const written = await writeSyntheticQueries(first, docs.slice(0, 2), { file, quiet: true });
  assert.deepEqual(
    written.map((q) => [q.id, q.text, q.sourceDoc]),
    [['synthetic-a', 'first query', 'a']],
  );
  // The document the writer gave nothing for is remembered, so the resume does not ask again.
  const second = listWriter(['third query']);
  const all = await writeSyntheticQueries(second, docs, { file, quiet: true });
  assert.equal(second.calls, 1);
  assert.deepEqual(
    all.map((q) => q.sourceDoc),
    ['a', 'c'],
  );
});

test('a torn last line from a kill is dropped before appending; a bad line elsewhere names file and line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sift-synthetic-'));
  const file = join(dir, 'q.jsonl');
  await writeFile(
    file,
    `${JSON.stringify({ _id: 'synthetic-a', text: 'one', source_doc: 'a' })}\n{"_id": "synth`,
  );
  assert.equal((await readSyntheticQueries(file)).length, 1);
  await writeSyntheticQueries(listWriter(['two']), docs.slice(0, 2), { file, quiet: true });
  const lines = (await readFile(file, 'utf8')).trim().split('\n');
  assert.equal(lines.length, 2);
  assert.deepEqual(
    (await readSyntheticQueries(file)).map((q) => q.text),
    ['one', 'two'],
  );

  await appendFile(file, 'not json\n');
  await assert.rejects(readSyntheticQueries(file), (error: unknown) => {
    return isSiftError(error, 'E_BAD_JSONL') && error.context.file === file && error.context.line === 3;
  });
});
