// Queued chunks over an in-process stand-in judge (a test double, not a model): one transaction per
// chunk, a retried chunk adds nothing twice, an aborted chunk writes nothing, and a chunk naming pairs
// or a job the store lacks is refused with the field named.

import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isSiftError } from '../errors.js';
import { labelChunk } from './label-chunk.js';
import { LabelStore } from './label-store.js';
import { loadPolicy } from './policy.js';
import { type Judge, JudgeFailure } from './types.js';

const policy = await loadPolicy('web-search');

function standInJudge(options: { failing?: Set<string>; onCall?: (id: string) => void } = {}): Judge & {
  calls: string[];
} {
  const calls: string[] = [];
  return {
    id: 'stand-in',
    calls,
    async judge(request) {
      const id = request.document.id!;
      calls.push(id);
      options.onCall?.(id);
      if (options.failing?.has(id))
        throw new JudgeFailure('E_JUDGE_OUTPUT', 'garbage', {
          attempts: 2,
          usage: { promptTokens: 5, completionTokens: 1 },
        });
      return {
        grade: id.length % 4,
        usage: { promptTokens: 10, completionTokens: 2 },
        latencyMs: 1,
        attempts: 1,
        promptHash: 'h',
      };
    },
    async close() {},
  };
}

async function storeWithPairs(): Promise<{ store: LabelStore; pairIds: number[]; jobId: number }> {
  const store = LabelStore.open(join(await mkdtemp(join(tmpdir(), 'sift-chunk-')), 'labels.sqlite'), {
    create: true,
  });
  const documents = ['a', 'bb', 'ccc', 'dddd'].map((id) => ({ id, title: `T ${id}`, text: `text ${id}` }));
  store.addPairs(
    [
      { id: 'q1', text: 'one' },
      { id: 'q2', text: 'two' },
    ],
    documents,
    documents.map((d, i) => ({
      queryId: i < 2 ? 'q1' : 'q2',
      docId: d.id,
      source: 'bm25',
      rank: 1,
      stratum: '1-10',
    })),
  );
  store.savePolicy(policy);
  const jobId = store.startJob(policy.hash, 'stand-in', {});
  return { store, pairIds: store.pairOrder(), jobId };
}

test('pairOrder is round-robin over queries and does not depend on labels', async () => {
  const { store, pairIds, jobId } = await storeWithPairs();
  assert.deepEqual(pairIds, [1, 3, 2, 4]);
  await labelChunk({ store, judge: standInJudge(), policy, jobId, pairIds: [3] });
  assert.deepEqual(store.pairOrder(), pairIds);
  store.close();
});

test('a chunk commits its labels and failures at once and adds them to its job row; a rerun adds nothing twice', async () => {
  const { store, pairIds, jobId } = await storeWithPairs();
  const judge = standInJudge({ failing: new Set(['ccc']) });
  const seen: number[] = [];
  const first = await labelChunk({
    store,
    judge,
    policy,
    jobId,
    pairIds,
    onPair: () => {
      // Nothing is in the store until the whole chunk is judged.
      seen.push(store.counts().labels);
    },
  });
  assert.deepEqual(seen, [0, 0, 0, 0]);
  assert.deepEqual([first.pending, first.labelled, first.cached, first.failed], [4, 3, 0, 1]);
  assert.deepEqual(first.usage, { promptTokens: 35, completionTokens: 7, costUsd: 0 });
  const row = store.job(jobId)!;
  assert.deepEqual([row.labelled, row.cached, row.failed], [3, 0, 1]);

  // The same chunk again (a retry): only the failed pair is judged, and nothing is labelled twice.
  const again = await labelChunk({ store, judge: standInJudge(), policy, jobId, pairIds });
  assert.deepEqual([again.pending, again.labelled, again.failed], [1, 1, 0]);
  assert.equal(store.counts().labels, 4);
  assert.deepEqual(store.failures(policy.hash, 'stand-in'), []);
  store.close();
});

test('an aborted chunk writes nothing', async () => {
  const { store, pairIds, jobId } = await storeWithPairs();
  const controller = new AbortController();
  const judge = standInJudge({ onCall: (id) => id === 'bb' && controller.abort() });
  await assert.rejects(labelChunk({ store, judge, policy, jobId, pairIds, signal: controller.signal }));
  assert.equal(store.counts().labels, 0);
  assert.deepEqual([store.job(jobId)!.labelled, store.job(jobId)!.failed], [0, 0]);
  store.close();
});

test('a chunk naming a pair or a job the store lacks is refused, naming the field', async () => {
  const { store, jobId } = await storeWithPairs();
  const judge = standInJudge();
  await assert.rejects(
    labelChunk({ store, judge, policy, jobId, pairIds: [1, 99] }),
    (error) => isSiftError(error, 'E_STORE') && error.context.field === 'pairIds',
  );
  await assert.rejects(
    labelChunk({ store, judge, policy, jobId: 42, pairIds: [1] }),
    (error) => isSiftError(error, 'E_STORE') && error.context.field === 'jobId',
  );
  assert.deepEqual(judge.calls, []);
  store.close();
});
