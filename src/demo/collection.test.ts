// Tests for writing a generated collection: BEIR files read back equal, identical bytes, atomic replacement.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSiftError } from '../errors.js';
import { buildJobCollection, writeJobCollection } from './collection.js';
import { generateJobPostings } from './job-postings.js';
import { generateJobQueries } from './queries.js';

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'sift-demo-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function readJsonl(path: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(path, 'utf8');
  assert.ok(text.endsWith('\n'));
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function readQrels(path: string): Promise<Map<string, Map<string, number>>> {
  const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
  assert.equal(lines[0], 'query-id\tcorpus-id\tscore');
  const qrels = new Map<string, Map<string, number>>();
  for (const line of lines.slice(1)) {
    const fields = line.split('\t');
    assert.equal(fields.length, 3, line);
    const [queryId, docId, score] = fields as [string, string, string];
    assert.match(score, /^[0-3]$/);
    const judged = qrels.get(queryId) ?? new Map<string, number>();
    judged.set(docId, Number(score));
    qrels.set(queryId, judged);
  }
  return qrels;
}

async function snapshot(folder: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of ['corpus.jsonl', 'queries.jsonl', 'qrels/test.tsv', 'collection.json']) {
    files[name] = await readFile(join(folder, name), 'utf8');
  }
  return files;
}

describe('writeJobCollection', () => {
  const seed = 31;
  const docs = generateJobPostings({ seed, count: 400 });
  const { queries, qrels } = generateJobQueries({ seed, count: 30, postings: docs });

  it('writes BEIR files that read back to the same docs, queries and qrels', async () => {
    const folder = join(root, 'jobs');
    const stats = await writeJobCollection(folder, { seed, docs, queries, qrels });
    assert.equal(stats.docs, 400);
    assert.equal(stats.queries, 30);

    const corpus = await readJsonl(join(folder, 'corpus.jsonl'));
    assert.deepEqual(
      corpus,
      docs.map((doc) => ({ _id: doc.id, title: doc.title, text: doc.text, metadata: doc.metadata })),
    );
    const written = await readJsonl(join(folder, 'queries.jsonl'));
    assert.deepEqual(
      written.map((q) => [q['_id'], q['text']]),
      queries.map((q) => [q.id, q.text]),
    );
    // Only the kind travels with a query; the graded intent is the answer key and stays out.
    assert.ok(written.every((q) => Object.keys(q['metadata'] as object).join() === 'kind'));
    assert.deepEqual(await readQrels(join(folder, 'qrels/test.tsv')), qrels);

    const manifest = JSON.parse(await readFile(join(folder, 'collection.json'), 'utf8'));
    assert.equal(manifest.seed, seed);
    assert.equal(manifest.counts.docs, 400);
    assert.equal(manifest.counts.queries, 30);
    assert.equal(manifest.counts.judgments, stats.judgments);
    assert.equal(typeof manifest.generatorVersion, 'number');
    assert.ok(stats.words.min >= 40 && stats.words.max <= 650 && stats.words.min < stats.words.max);
    const graded = Object.values(stats.grades).reduce((a, b) => a + b, 0);
    assert.equal(graded, stats.judgments);
  });

  it('replaces an earlier collection atomically and leaves no temporary folders', async () => {
    const folder = join(root, 'replace');
    await writeJobCollection(folder, { seed, docs: docs.slice(0, 10), queries: [], qrels: new Map() });
    await writeJobCollection(folder, { seed, docs, queries, qrels });
    const corpus = await readJsonl(join(folder, 'corpus.jsonl'));
    assert.equal(corpus.length, 400);
    assert.deepEqual(
      (await readdir(root)).filter((name) => name.includes('.tmp') || name.includes('.old')),
      [],
    );
  });

  it('accepts an async iterable of docs', async () => {
    const folder = join(root, 'async');
    async function* stream() {
      yield* docs.slice(0, 5);
    }
    const stats = await writeJobCollection(folder, { seed, docs: stream(), queries: [], qrels: new Map() });
    assert.equal(stats.docs, 5);
  });

  it('refuses to replace a folder that is not a generated collection', async () => {
    const folder = join(root, 'precious');
    await mkdir(folder);
    await writeFile(join(folder, 'notes.txt'), 'keep me');
    await assert.rejects(writeJobCollection(folder, { seed, docs, queries, qrels }), (error) =>
      isSiftError(error, 'E_BAD_ARGUMENT'),
    );
    assert.equal(await readFile(join(folder, 'notes.txt'), 'utf8'), 'keep me');
    assert.deepEqual(
      (await readdir(root)).filter((name) => name.includes('.tmp')),
      [],
    );
  });
});

describe('buildJobCollection', () => {
  it('writes the same bytes for the same seed, and the same files as the in-memory path', async () => {
    const first = join(root, 'build-a');
    const second = join(root, 'build-b');
    const stats = await buildJobCollection(first, { seed: 8, count: 300, queryCount: 25 });
    await buildJobCollection(second, { seed: 8, count: 300, queryCount: 25 });
    assert.deepEqual(await snapshot(first), await snapshot(second));
    assert.equal(stats.docs, 300);
    assert.equal(stats.queries, 25);

    const docs = generateJobPostings({ seed: 8, count: 300 });
    const { queries, qrels } = generateJobQueries({ seed: 8, count: 25, postings: docs });
    const third = join(root, 'build-c');
    await writeJobCollection(third, { seed: 8, docs, queries, qrels });
    assert.deepEqual(await snapshot(third), await snapshot(first));
  });

  it('writes different files for a different seed', async () => {
    const folder = join(root, 'build-d');
    await buildJobCollection(folder, { seed: 9, count: 300, queryCount: 25 });
    const a = await snapshot(join(root, 'build-a'));
    const d = await snapshot(folder);
    assert.notEqual(a['corpus.jsonl'], d['corpus.jsonl']);
  });
});
