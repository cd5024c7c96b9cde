import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { isSiftError } from '../errors.js';
import { LabelStore, STORE_SCHEMA_VERSION } from './label-store.js';
import { loadPolicy } from './policy.js';

async function tempStore(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'sift-store-')), 'labels.sqlite');
}

const queries = [{ id: 'q1', text: 'jet engines' }];
const documents = [
  { id: 'd1', title: 'Jet engine', text: 'How jet engines work.' },
  { id: 'd2', title: 'Steam engine', text: 'Pistons.' },
];
const pairs = [
  { queryId: 'q1', docId: 'd1', source: 'bm25', rank: 1, stratum: '1-10' },
  { queryId: 'q1', docId: 'd2', source: 'random', rank: null, stratum: 'random' },
];

test('a new store is versioned, in WAL mode, and de-duplicates pairs', async () => {
  const path = await tempStore();
  const store = LabelStore.open(path, { create: true });
  assert.equal(store.addPairs(queries, documents, pairs), 2);
  assert.equal(store.addPairs(queries, documents, pairs), 0);
  assert.deepEqual(store.counts(), { queries: 1, documents: 2, pairs: 2, labels: 0, failures: 0 });
  store.close();
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma('user_version', { simple: true }), STORE_SCHEMA_VERSION);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
});

test('opening refuses a missing store, a foreign SQLite file and an unknown schema version', async () => {
  const missing = await tempStore();
  assert.throws(
    () => LabelStore.open(missing),
    (e: unknown) => isSiftError(e, 'E_FILE_NOT_FOUND'),
  );
  const foreign = await tempStore();
  const db = new Database(foreign);
  db.exec('CREATE TABLE t (x)');
  db.close();
  assert.throws(
    () => LabelStore.open(foreign),
    (e: unknown) => isSiftError(e, 'E_STORE'),
  );
  const future = await tempStore();
  LabelStore.open(future, { create: true }).close();
  const raw = new Database(future);
  raw.pragma('user_version = 99');
  raw.close();
  assert.throws(
    () => LabelStore.open(future),
    (e: unknown) => isSiftError(e, 'E_STORE') && /99/.test(e.message),
  );
  const text = await tempStore();
  await writeFile(text, 'not a database at all, just text that is long enough to look like a header....');
  assert.throws(
    () => LabelStore.open(text),
    (e: unknown) => isSiftError(e, 'E_STORE'),
  );
});

test('labels are unique per (pair, policy, judge); a label clears the failure; pending excludes labelled pairs', async () => {
  const policy = await loadPolicy('web-search');
  const store = LabelStore.open(await tempStore(), { create: true });
  store.addPairs(queries, documents, pairs);
  store.savePolicy(policy);
  const job = store.startJob(policy.hash, 'j', {});
  const [p1, p2] = store.pendingPairs(policy.hash, 'j');
  assert.deepEqual([p1!.docId, p2!.docId], ['d1', 'd2']);
  const label = {
    pairId: p1!.pairId,
    policyHash: policy.hash,
    judgeId: 'j',
    promptHash: 'p',
    jobId: job,
    cacheKey: 'k1',
    grade: 3,
    promptTokens: 10,
    completionTokens: 2,
    costUsd: 0.5,
    latencyMs: 5,
    attempts: 1,
    softLabel: [0, 0, 0.25, 0.75],
  };
  store.addFailure({
    pairId: p1!.pairId,
    policyHash: policy.hash,
    judgeId: 'j',
    jobId: job,
    attempts: 3,
    errorCode: 'E_JUDGE_OUTPUT',
    message: 'x',
    promptTokens: 30,
    completionTokens: 3,
  });
  store.addFailure({
    pairId: p1!.pairId,
    policyHash: policy.hash,
    judgeId: 'j',
    jobId: job,
    attempts: 2,
    errorCode: 'E_JUDGE_HTTP',
    message: 'y',
    promptTokens: 20,
    completionTokens: 2,
  });
  assert.deepEqual(store.failures(policy.hash, 'j'), [
    { pairId: p1!.pairId, attempts: 5, errorCode: 'E_JUDGE_HTTP', lastError: 'y' },
  ]);
  assert.equal(store.addLabel(label), true);
  assert.equal(store.addLabel({ ...label, grade: 0 }), false, 'a second label for the pair is refused');
  assert.deepEqual(store.failures(policy.hash, 'j'), []);
  assert.equal(store.addLabel({ ...label, judgeId: 'other' }), true, 'another judge labels separately');
  assert.deepEqual(
    store.pendingPairs(policy.hash, 'j').map((p) => p.docId),
    ['d2'],
  );
  const [stored] = store.labels(policy.hash, 'j');
  assert.equal(stored!.grade, 3);
  assert.deepEqual(stored!.softLabel, [0, 0, 0.25, 0.75]);
  assert.equal(store.cachedLabel('k1')?.grade, 3);
  assert.equal(store.spend(policy.hash, 'j').costUsd, 0.5);
  assert.deepEqual(
    store
      .labelSets()
      .map((s) => [s.judgeId, s.labels, s.maxGrade])
      .sort(),
    [
      ['j', 1, 3],
      ['other', 1, 3],
    ],
  );
  store.close();
});

test('a version 1 store is upgraded in place: its labels stay, and new labels keep raw scores', async () => {
  const path = await tempStore();
  const store = LabelStore.open(path, { create: true });
  store.addPairs(queries, documents, pairs);
  const policy = await loadPolicy('web-search');
  store.savePolicy(policy);
  const job = store.startJob(policy.hash, 'judge-a', {});
  const base = {
    policyHash: policy.hash,
    judgeId: 'judge-a',
    promptHash: 'p',
    jobId: job,
    promptTokens: 1,
    completionTokens: 0,
    latencyMs: 1,
    attempts: 1,
  };
  store.addLabel({ ...base, pairId: 1, cacheKey: 'k1', grade: 2 });
  store.close();
  // Make it look like a store written before the scores column existed.
  const db = new Database(path);
  db.exec('ALTER TABLE labels DROP COLUMN scores');
  db.pragma('user_version = 1');
  db.close();

  const upgraded = LabelStore.open(path);
  assert.equal(upgraded.labels(policy.hash, 'judge-a')[0]?.grade, 2);
  assert.equal(upgraded.labels(policy.hash, 'judge-a')[0]?.scores, null);
  upgraded.addLabel({
    ...base,
    pairId: 2,
    cacheKey: 'k2',
    grade: 0,
    scores: { expectedGrade: 0.4, pYes: 0.1 },
  });
  assert.deepEqual(upgraded.labels(policy.hash, 'judge-a')[1]?.scores, { expectedGrade: 0.4, pYes: 0.1 });
  upgraded.close();
  const check = new Database(path, { readonly: true });
  assert.equal(check.pragma('user_version', { simple: true }), STORE_SCHEMA_VERSION);
  check.close();
});

test('pending pairs come round-robin over queries, so a partial job covers every query', async () => {
  const path = await tempStore();
  const store = LabelStore.open(path, { create: true });
  store.addPairs(
    [...queries, { id: 'q2', text: 'wings' }],
    [...documents, { id: 'd3', title: 'Wing', text: 'Lift.' }],
    [
      ...pairs,
      { queryId: 'q2', docId: 'd3', source: 'bm25', rank: 1, stratum: '1-10' },
      { queryId: 'q2', docId: 'd1', source: 'bm25', rank: 2, stratum: '1-10' },
    ],
  );
  const order = store.pendingPairs('policy', 'judge').map((pair) => pair.queryId);
  assert.deepEqual(order, ['q1', 'q2', 'q1', 'q2']);
  store.close();
});
