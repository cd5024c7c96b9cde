// Reads the real shared BEIR collections end to end; counts were checked against the files with wc and jq-style scans.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { createReadStats } from './bad-records.js';
import { loadBeirCollection, readBeirCorpus } from './beir.js';
import type { Doc, Qrels } from './types.js';
import { readDocuments } from './user-docs.js';

const sharedData = resolve(process.env['SIFT_SHARED'] ?? '../shared', 'data');
const cranfield = join(sharedData, 'cranfield');
const dbpedia = join(sharedData, 'dbpedia-entity-subset');
const missing = (folder: string): string | false =>
  !existsSync(folder) && `shared collection not found at ${folder}`;

function countJudgments(qrels: Qrels): {
  judgments: number;
  grades: Map<number, number>;
  docIds: Set<string>;
} {
  const grades = new Map<number, number>();
  const docIds = new Set<string>();
  let judgments = 0;
  for (const judged of qrels.values()) {
    for (const [docId, grade] of judged) {
      judgments += 1;
      docIds.add(docId);
      grades.set(grade, (grades.get(grade) ?? 0) + 1);
    }
  }
  return { judgments, grades, docIds };
}

async function readAll(path: string): Promise<{ docs: Map<string, Doc>; read: number }> {
  const stats = createReadStats();
  const docs = new Map<string, Doc>();
  for await (const doc of readBeirCorpus(path, { stats })) docs.set(doc.id, doc);
  return { docs, read: stats.read };
}

describe('cranfield', { skip: missing(cranfield) }, () => {
  test('has 225 queries, all judged, with 1,837 graded judgments (grades 0..4)', async () => {
    const stats = createReadStats();
    const collection = await loadBeirCollection(cranfield, { stats });
    assert.equal(collection.name, 'cranfield');
    assert.equal(collection.queries.length, 225);
    assert.deepEqual(collection.queries[224], {
      id: '225',
      text: 'what design factors can be used to control lift-drag ratios at mach numbers above 5 .',
      metadata: { cran_qry_I: '365' },
    });
    assert.equal(collection.qrels.size, 225);
    const { judgments, grades } = countJudgments(collection.qrels);
    assert.equal(judgments, 1837);
    assert.deepEqual(
      [...grades].sort(([a], [b]) => a - b),
      [
        [0, 225],
        [1, 363],
        [2, 734],
        [3, 387],
        [4, 128],
      ],
    );
    assert.equal(collection.qrels.get('1')?.get('184'), 3);
    assert.deepEqual(stats, { read: 225 + 1837, skipped: 0, skippedExamples: [] });
  });

  test('streams 1,400 docs; every judged doc is among them; two are empty', async () => {
    const collection = await loadBeirCollection(cranfield);
    const { docs, read } = await readAll(collection.corpusPath);
    assert.equal(docs.size, 1400);
    assert.equal(read, 1400);
    assert.equal(
      docs.get('1')?.title,
      'experimental investigation of the aerodynamics of a wing in a slipstream .',
    );
    assert.deepEqual(docs.get('471'), { id: '471', title: '', text: '', metadata: {} });
    for (const docId of countJudgments(collection.qrels).docIds) assert.ok(docs.has(docId), docId);
  });
});

describe('dbpedia-entity-subset', { skip: missing(dbpedia) }, () => {
  test('has 50 queries of which 40 are judged, with 3,709 judgments (grades 0..2)', async () => {
    const collection = await loadBeirCollection(dbpedia);
    assert.equal(collection.queries.length, 50);
    assert.deepEqual(collection.queries[0], { id: 'SemSearch_ES-2', text: 'B. F. Skinner' });
    assert.equal(collection.qrels.size, 40);
    const { judgments, grades, docIds } = countJudgments(collection.qrels);
    assert.equal(judgments, 3709);
    assert.equal(docIds.size, 3658);
    assert.deepEqual(
      [...grades].sort(([a], [b]) => a - b),
      [
        [0, 2829],
        [1, 614],
        [2, 266],
      ],
    );
    assert.equal(collection.qrels.get('INEX_LD-2010019')?.get('<dbpedia:Art_in_Paris>'), 1);
  });

  test('streams 5,000 docs with their url metadata; every judged doc is among them', async () => {
    const collection = await loadBeirCollection(dbpedia);
    const { docs, read } = await readAll(collection.corpusPath);
    assert.equal(docs.size, 5000);
    assert.equal(read, 5000);
    const first = docs.get('<dbpedia:Oceanic_Airlines>');
    assert.equal(first?.title, 'Oceanic Airlines');
    assert.deepEqual(first?.metadata, { url: '<http://dbpedia.org/resource/Oceanic_Airlines>' });
    for (const docId of countJudgments(collection.qrels).docIds) assert.ok(docs.has(docId), docId);
  });

  test('the user-document reader reads a BEIR corpus too (_id is an alias of id)', async () => {
    let count = 0;
    for await (const doc of readDocuments(join(dbpedia, 'corpus.jsonl'))) {
      assert.equal(typeof doc.metadata['url'], 'string');
      count += 1;
    }
    assert.equal(count, 5000);
  });
});
