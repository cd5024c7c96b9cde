// Labelling jobs over an in-process stand-in judge (a test double, not a model): failures are recorded
// and never become labels, re-runs skip done pairs and retry failed ones, identical texts hit the cache.

import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runLabelJob } from './label-job.js';
import { LabelStore } from './label-store.js';
import { loadPolicy } from './policy.js';
import { type Judge, JudgeFailure, type JudgeRequest } from './types.js';

const policy = await loadPolicy('web-search');

function standInJudge(failing: Set<string>): Judge & { calls: string[] } {
  const calls: string[] = [];
  return {
    id: 'stand-in',
    calls,
    async judge(request: JudgeRequest) {
      const id = request.document.id!;
      calls.push(id);
      if (failing.has(id))
        throw new JudgeFailure('E_JUDGE_OUTPUT', 'garbage', {
          attempts: 3,
          usage: { promptTokens: 9, completionTokens: 1 },
        });
      return {
        grade: id.length % 4,
        rationale: `about ${id}`,
        usage: { promptTokens: 10, completionTokens: 2, costUsd: 0.001 },
        latencyMs: 1,
        attempts: 1,
        promptHash: 'h',
      };
    },
    async close() {},
  };
}

async function storeWithPairs(): Promise<LabelStore> {
  const store = LabelStore.open(join(await mkdtemp(join(tmpdir(), 'sift-job-')), 'labels.sqlite'), {
    create: true,
  });
  const documents = ['a', 'bb', 'ccc', 'dddd', 'eeeee'].map((id) => ({
    id,
    title: `T ${id}`,
    text: `text ${id}`,
  }));
  // "copy" has the same title and text as "a": its label comes from the cache.
  documents.push({ id: 'copy', title: 'T a', text: 'text a' });
  const pairs = documents.map((d, i) => ({
    queryId: 'q',
    docId: d.id,
    source: 'bm25',
    rank: i + 1,
    stratum: '1-10',
  }));
  store.addPairs([{ id: 'q', text: 'query' }], documents, pairs);
  return store;
}

test('failures are recorded, never labelled; a re-run retries only them; identical texts come from the cache', async () => {
  const store = await storeWithPairs();
  const failing = new Set(['ccc']);
  const judge = standInJudge(failing);
  const first = await runLabelJob({ store, judge, policy, concurrency: 1, quiet: true });
  assert.deepEqual(
    [first.labelled, first.cached, first.failed, first.pending, first.status],
    [4, 1, 1, 6, 'done'],
  );
  assert.deepEqual(judge.calls, ['a', 'bb', 'ccc', 'dddd', 'eeeee']);
  assert.equal(first.promptTokens, 4 * 10 + 9, 'tokens of failed attempts are counted');
  assert.deepEqual(
    store.failures(policy.hash, 'stand-in').map((f) => [f.attempts, f.errorCode]),
    [[3, 'E_JUDGE_OUTPUT']],
  );
  assert.equal(store.labels(policy.hash, 'stand-in').length, 5);
  assert.ok(!store.labels(policy.hash, 'stand-in').some((l) => l.docId === 'ccc'));
  const copy = store.labels(policy.hash, 'stand-in').find((l) => l.docId === 'copy')!;
  assert.equal(copy.grade, 'a'.length % 4);

  failing.clear();
  const second = await runLabelJob({ store, judge, policy, concurrency: 3, quiet: true });
  assert.deepEqual([second.labelled, second.failed, second.pending], [1, 0, 1]);
  assert.deepEqual(judge.calls.slice(5), ['ccc']);
  assert.deepEqual(store.failures(policy.hash, 'stand-in'), []);
  assert.deepEqual(
    store.jobs().map((j) => [j.status, j.labelled, j.cached, j.failed]),
    [
      ['done', 4, 1, 1],
      ['done', 1, 0, 0],
    ],
  );
  store.close();
});

test('an aborted job stops early, is marked interrupted, and the rest stays pending', async () => {
  const store = await storeWithPairs();
  const controller = new AbortController();
  const judge = standInJudge(new Set());
  const slow: Judge = {
    id: judge.id,
    async judge(request, signal) {
      if (judge.calls.length === 2) controller.abort();
      return judge.judge(request, signal);
    },
    close: judge.close,
  };
  const summary = await runLabelJob({ store, judge: slow, policy, signal: controller.signal, quiet: true });
  assert.equal(summary.status, 'interrupted');
  assert.equal(store.jobs()[0]!.status, 'interrupted');
  assert.equal(store.pendingPairs(policy.hash, judge.id).length, 6 - summary.labelled - summary.cached);
  assert.ok(summary.labelled < 6);
  store.close();
});

test('an unexpected error fails the job and surfaces, instead of being recorded as a judge failure', async () => {
  const store = await storeWithPairs();
  const broken: Judge = {
    id: 'broken',
    async judge() {
      throw new TypeError('bug');
    },
    async close() {},
  };
  await assert.rejects(runLabelJob({ store, judge: broken, policy, concurrency: 2, quiet: true }), /bug/);
  assert.equal(store.jobs()[0]!.status, 'failed');
  assert.deepEqual(store.failures(policy.hash, 'broken'), []);
  store.close();
});
