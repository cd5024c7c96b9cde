import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isSiftError } from '../errors.js';
import type { Doc } from '../ingest/index.js';
import { Bm25Retriever } from '../retrieve/index.js';
import { SiftIndex } from './sift-index.js';

async function cranfieldDocs(count: number): Promise<Doc[]> {
  const path = join(process.env.SIFT_SHARED ?? '../shared', 'data', 'cranfield', 'corpus.jsonl');
  const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean).slice(0, count);
  return lines.map((line) => {
    const record = JSON.parse(line) as { _id: string; title: string; text: string };
    return { id: record._id, title: record.title, text: record.text, metadata: { n: Number(record._id) } };
  });
}

const QUERIES = ['boundary layer', 'supersonic flow over a wing', 'heat transfer', 'slipstream propeller'];

async function scoresOf(index: SiftIndex): Promise<string> {
  const retriever = new Bm25Retriever(index);
  const out: string[] = [];
  for (const query of QUERIES) {
    for (const hit of await retriever.search({ query, k: 20 }))
      out.push(`${query}|${hit.id}|${hit.score.toFixed(10)}`);
  }
  return out.join('\n');
}

test('a committed index reopens with identical documents and scores', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sift-index-'));
  const docs = await cranfieldDocs(60);
  const index = SiftIndex.create(dir);
  for (const doc of docs) index.add(doc);
  await index.commit();
  const reopened = await SiftIndex.open(dir);
  assert.equal(reopened.docs.liveCount, 60);
  assert.deepEqual(reopened.docs.getById(docs[7]!.id), docs[7]);
  assert.equal(await scoresOf(reopened), await scoresOf(index));
});

test('incremental deletes and adds score exactly as a fresh index of the same documents', async () => {
  const docs = await cranfieldDocs(80);
  const incrementalDir = await mkdtemp(join(tmpdir(), 'sift-inc-'));
  const incremental = SiftIndex.create(incrementalDir);
  for (const doc of docs.slice(0, 60)) incremental.add(doc);
  await incremental.commit();

  const reopened = await SiftIndex.open(incrementalDir);
  for (const doc of docs.slice(10, 30)) assert.equal(reopened.delete(doc.id), true);
  assert.equal(reopened.delete('no-such-doc'), false);
  for (const doc of docs.slice(60)) reopened.add(doc);
  const survivors = [...docs.slice(0, 10), ...docs.slice(30)];
  const fresh = SiftIndex.create(await mkdtemp(join(tmpdir(), 'sift-fresh-')));
  for (const doc of survivors) fresh.add(doc);

  // Before commit (tombstones in memory) and after commit + reopen (compacted on disk).
  assert.equal(await scoresOf(reopened), await scoresOf(fresh));
  await reopened.commit();
  const compacted = await SiftIndex.open(incrementalDir);
  assert.equal(compacted.docs.size, survivors.length);
  assert.equal(await scoresOf(compacted), await scoresOf(fresh));
  // Only the live generation is left on disk.
  assert.deepEqual((await readdir(incrementalDir)).sort(), ['CURRENT', 'gen-000002']);
});

test('adding an id that is already indexed is refused; upsert replaces it', async () => {
  const index = SiftIndex.create(await mkdtemp(join(tmpdir(), 'sift-dup-')));
  const [doc] = await cranfieldDocs(1);
  index.add(doc!);
  assert.throws(
    () => index.add(doc!),
    (error) => isSiftError(error, 'E_DUPLICATE_ID'),
  );
  index.upsert({ ...doc!, title: 'replaced title' });
  assert.equal(index.docs.liveCount, 1);
  assert.equal(index.docs.getById(doc!.id)?.title, 'replaced title');
});

async function committedIndexFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sift-corrupt-'));
  const index = SiftIndex.create(dir);
  for (const doc of await cranfieldDocs(20)) index.add(doc);
  await index.commit();
  return dir;
}

test('a flipped byte, a truncated file or an unknown version is refused on open', async () => {
  const dir = await committedIndexFile();
  const file = join(dir, 'gen-000001', 'lexical.sidx');
  const original = await readFile(file);

  const flipped = Buffer.from(original);
  flipped[flipped.length - 10]! ^= 0xff;
  await writeFile(file, flipped);
  await assert.rejects(
    SiftIndex.open(dir),
    (error) => isSiftError(error, 'E_INDEX_CORRUPT') && error.context.file === file,
  );

  await writeFile(file, original.subarray(0, original.length - 100));
  await assert.rejects(SiftIndex.open(dir), (error) => isSiftError(error, 'E_INDEX_CORRUPT'));

  const future = Buffer.from(original.toString('latin1').replace('"version":1', '"version":9'), 'latin1');
  await writeFile(file, future);
  await assert.rejects(SiftIndex.open(dir), (error) => isSiftError(error, 'E_INDEX_VERSION'));
});

test('opening a folder without an index names it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sift-empty-'));
  await assert.rejects(
    SiftIndex.open(dir),
    (error) => isSiftError(error, 'E_INDEX_NOT_FOUND') && error.context.file === dir,
  );
});
