import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isSiftError } from '../errors.js';
import { exportLabels } from './export.js';
import { importLabels, readExportedLabels } from './label-import.js';
import { LabelStore } from './label-store.js';
import { labelCacheKey } from './pair-judgement.js';
import { loadPolicy } from './policy.js';

const queries = [
  { id: 'q1', text: 'jet engines' },
  { id: 'q2', text: 'steam power' },
];
const documents = [
  { id: 'd1', title: 'Jet engine', text: 'How jet engines work.' },
  { id: 'd2', title: 'Steam engine', text: 'Pistons and boilers.' },
];
const pairs = [
  { queryId: 'q1', docId: 'd1', source: 'bm25', rank: 1, stratum: '1-10' },
  { queryId: 'q1', docId: 'd2', source: 'random', rank: null, stratum: 'random' },
  { queryId: 'q2', docId: 'd2', source: 'bm25', rank: 1, stratum: '1-10' },
];

async function folder(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sift-import-'));
}

/** A store with two of its three pairs labelled by judge "j", exported as JSONL (and gzipped). */
async function exported(dir: string) {
  const policy = await loadPolicy('web-search');
  const store = LabelStore.open(join(dir, 'source.sqlite'), { create: true });
  store.addPairs(queries, documents, pairs);
  store.savePolicy(policy);
  const job = store.startJob(policy.hash, 'j', {});
  const [p1, , p3] = store.pendingPairs(policy.hash, 'j');
  for (const [pair, grade] of [
    [p1!, 3],
    [p3!, 1],
  ] as const)
    store.addLabel({
      pairId: pair.pairId,
      policyHash: policy.hash,
      judgeId: 'j',
      promptHash: 'prompt-1',
      jobId: job,
      cacheKey: labelCacheKey(policy.hash, 'j', pair),
      grade,
      softLabel: grade === 3 ? [0.1, 0.1, 0.2, 0.6] : [0.2, 0.5, 0.2, 0.1],
      scores: { expectedGrade: grade - 0.25, pYes: grade / 4 },
      promptTokens: 100,
      completionTokens: 1,
      latencyMs: 900,
      attempts: 1,
    });
  const [set] = store.labelSets();
  const file = join(dir, 'labels.jsonl');
  await exportLabels(store.labels(policy.hash, 'j'), set!, 'jsonl', file);
  const gz = join(dir, 'labels.jsonl.gz');
  await writeFile(gz, gzipSync(await readFile(file)));
  const labels = store.labels(policy.hash, 'j');
  store.close();
  return { policy, file, gz, labels };
}

test('an export imported into a new store gives back the same labels, and the cache keys match', async () => {
  const dir = await folder();
  const { policy, gz, labels } = await exported(dir);
  const store = LabelStore.open(join(dir, 'restored.sqlite'), { create: true });
  const summary = importLabels(store, await readExportedLabels(gz, policy), policy, gz);
  assert.deepEqual(summary, { read: 2, imported: 2, alreadyThere: 0, newPairs: 2, judgeId: 'j' });
  const strip = (l: (typeof labels)[number]) => {
    const { pairId: _pairId, ...rest } = l;
    return rest;
  };
  assert.deepEqual(store.labels(policy.hash, 'j').map(strip), labels.map(strip));
  // A later judge run finds each imported label by its cache key, so it never judges that text again.
  for (const l of labels) assert.equal(store.cachedLabel(labelCacheKey(policy.hash, 'j', l))?.grade, l.grade);
  const [job] = store.jobs();
  assert.equal(job?.status, 'done');
  assert.equal(job?.labelled, 2);
  store.close();
});

test('importing into the resampled store fills its pairs, skips labels it has, and leaves the rest pending', async () => {
  const dir = await folder();
  const { policy, file, labels } = await exported(dir);
  const store = LabelStore.open(join(dir, 'resampled.sqlite'), { create: true });
  store.addPairs(queries, documents, pairs);
  const first = importLabels(store, await readExportedLabels(file, policy), policy, file);
  assert.equal(first.newPairs, 0);
  assert.equal(first.imported, 2);
  const again = importLabels(store, await readExportedLabels(file, policy), policy, file);
  assert.equal(again.imported, 0);
  assert.equal(again.alreadyThere, 2);
  const pending = store.pendingPairs(policy.hash, 'j');
  const unlabelled = pairs.filter((p) => !labels.some((l) => l.queryId === p.queryId && l.docId === p.docId));
  assert.equal(unlabelled.length, 1);
  assert.deepEqual(
    pending.map((p) => [p.queryId, p.docId]),
    unlabelled.map((p) => [p.queryId, p.docId]),
  );
  // Imported pairs keep the source and stratum they were sampled with.
  assert.equal(store.counts().pairs, 3);
  store.close();
});

test('a bad line fails the import naming file, line and field, and the store is left as it was', async () => {
  const dir = await folder();
  const { policy, file } = await exported(dir);
  const lines = (await readFile(file, 'utf8')).trim().split('\n');
  const second = JSON.parse(lines[1]!) as Record<string, unknown>;
  const cases: [string, (r: Record<string, unknown>) => void, string][] = [
    ['raw_grade', (r) => (r['raw_grade'] = 7), 'raw_grade'],
    ['policy_hash', (r) => (r['policy_hash'] = 'f'.repeat(64)), 'policy_hash'],
    ['judge_id', (r) => (r['judge_id'] = 'other'), 'judge_id'],
    ['soft_label', (r) => (r['soft_label'] = [1]), 'soft_label'],
    ['doc_id', (r) => delete r['doc_id'], 'doc_id'],
  ];
  for (const [name, edit, field] of cases) {
    const record = structuredClone(second);
    edit(record);
    const bad = join(dir, `bad-${name}.jsonl`);
    await writeFile(bad, `${lines[0]}\n${JSON.stringify(record)}\n`);
    await assert.rejects(
      readExportedLabels(bad, policy),
      (e: unknown) =>
        isSiftError(e, 'E_LABEL_IMPORT') &&
        e.context.file === bad &&
        e.context.line === 2 &&
        e.context.field === field,
      name,
    );
  }
  const empty = join(dir, 'empty.jsonl');
  await writeFile(empty, '');
  await assert.rejects(readExportedLabels(empty, policy), (e: unknown) => isSiftError(e, 'E_LABEL_IMPORT'));
  // A failure inside the transaction (a pair whose query cannot be stored) rolls back everything.
  const store = LabelStore.open(join(dir, 'atomic.sqlite'), { create: true });
  const labels = await readExportedLabels(file, policy);
  const broken = [...labels, { ...labels[0]!, queryId: 'q9', query: null as unknown as string }];
  assert.throws(() => importLabels(store, broken, policy, file));
  assert.deepEqual(store.counts(), { queries: 0, documents: 0, pairs: 0, labels: 0, failures: 0 });
  store.close();
});
