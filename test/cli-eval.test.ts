// End to end through the `sift eval` contract forms on the shared collections: the numbers must stay
// within 0.005 of the values recorded when the BM25 defaults were set.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const SHARED = resolve(process.env.SIFT_SHARED ?? '../shared');

/**
 * Recorded with `sift eval --collection <folder> --mode bm25` at the commit that set the defaults
 * (Lucene BM25 per field, k1 1.2, b 0.75, best-fields with tie-breaker 0.5 as in BEIR's baseline).
 */
const RECORDED = {
  cranfield: { queries: 225, 'ndcg@10': 0.3798, 'recall@100': 0.743, 'mrr@10': 0.5608, map: 0.3145 },
  'dbpedia-entity-subset': {
    queries: 40,
    'ndcg@10': 0.4185,
    'recall@100': 0.8579,
    'mrr@10': 0.6969,
    map: 0.428,
  },
} as const;

interface JsonReport {
  metrics: Record<string, number>;
  queries: number;
  perQuery: Record<string, Record<string, number>>;
}

async function siftHome(): Promise<Record<string, string>> {
  return { ...process.env, SIFT_HOME: await mkdtemp(join(tmpdir(), 'sift-home-')) } as Record<string, string>;
}

for (const [name, expected] of Object.entries(RECORDED)) {
  test(`sift eval --collection ${name} --mode bm25 stays at its recorded quality`, async () => {
    const env = await siftHome();
    const out = join(env.SIFT_HOME!, 'report.json');
    const runFile = join(env.SIFT_HOME!, 'bm25.run');
    const args = ['eval', '--collection', join(SHARED, 'data', name), '--mode', 'bm25', '--json', out];
    const { stdout } = await run(SIFT, [...args, '--save-run', runFile, '--quiet'], { env });
    assert.match(stdout, /ndcg@10/);
    const report = JSON.parse(await readFile(out, 'utf8')) as JsonReport;
    assert.deepEqual(Object.keys(report).sort(), ['metrics', 'perQuery', 'queries']);
    assert.equal(report.queries, expected.queries);
    assert.equal(Object.keys(report.perQuery).length, expected.queries);
    for (const metric of ['ndcg@10', 'recall@100', 'mrr@10', 'map'] as const) {
      const value = report.metrics[metric]!;
      assert.ok(
        Math.abs(value - expected[metric]) <= 0.005,
        `${metric} = ${value}, recorded ${expected[metric]}`,
      );
    }

    // The saved run scored through the other contract form gives the same numbers.
    const rescoredFile = join(env.SIFT_HOME!, 'rescored.json');
    const qrels = join(SHARED, 'data', name, 'qrels', 'test.tsv');
    await run(SIFT, ['eval', '--run', runFile, '--qrels', qrels, '--json', rescoredFile], { env });
    const rescored = JSON.parse(await readFile(rescoredFile, 'utf8')) as JsonReport;
    for (const [metric, value] of Object.entries(report.metrics)) {
      assert.ok(Math.abs(rescored.metrics[metric]! - value) < 1e-9, metric);
    }

    // A second run reuses the cached index.
    const again = await run(SIFT, [...args, '--quiet'], { env });
    assert.doesNotMatch(again.stderr, /indexing/);
  });
}

test('sift eval with neither --collection nor --run explains what it needs and exits non-zero', async () => {
  const env = await siftHome();
  await assert.rejects(run(SIFT, ['eval'], { env }), (error: { code: number; stderr: string }) => {
    assert.equal(error.code, 1);
    assert.match(error.stderr, /E_BAD_ARGUMENT/);
    return true;
  });
});
