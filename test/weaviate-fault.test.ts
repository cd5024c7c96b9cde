// Fault tolerance of the Weaviate backend on a 3-node loopback cluster (3 shards, replication factor 2):
// under a bounded query load (4 concurrent clients), node 2 is killed with SIGKILL and later restarted
// on its data. Reads ask consistency ONE, so with RF 2 every shard keeps a live replica: no query may
// fail and, while the node is down, every answer must equal the answer before the fault. The node must
// rejoin (all HEALTHY, and a QUORUM aggregate succeeds again).
//
// Dense answers (exact flat index) are compared strictly. BM25 answers are counted, not asserted: Weaviate
// 1.35.2's BlockMax WAND can prune a winning document when a segment's block bounds were encoded under
// another average length than the one compaction later sets (weaviate/weaviate#8704, and the review of
// #12168), so the same query on a healthy cluster answers differently as replicas compact (CI once saw
// job-000237 at score 3.8835 present in one read and absent from the next, nothing killed yet).
//
// Measured, not asserted: once restarted, the killed replica can miss the last writes acknowledged before
// the kill (Weaviate 1.35.2 logs lsm_recover_from_active_wal_corruption: the unflushed tail of its
// write-ahead log is lost to SIGKILL), and reads at ONE that it serves then lack those documents; the
// counts per phase are printed. See DESIGN.md (scale-out) for the consequences.
//
// It kills a node, so it must not run beside other cluster tests: .ci/run runs it after `npm test`, with
// SIFT_WEAVIATE_DIR (the cluster's folder) set; without that it skips, loudly.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createAnalyzer } from '../src/analysis/index.js';
import { generateJobPostings } from '../src/demo/index.js';
import { connectWeaviate, type RemoteDoc, WeaviateCollection } from '../src/remote/index.js';
import type { Hit } from '../src/retrieve/index.js';
import { mulberry32 } from '../src/util/random.js';
import { WEAVIATE_URL } from './lib/weaviate-cluster.js';

const run = promisify(execFile);
const SCRIPT = resolve('scripts/weaviate-cluster.sh');
const DIR = process.env.SIFT_WEAVIATE_DIR;
const CLIENTS = 4;
const KILLED = 2;

if (!WEAVIATE_URL || !DIR) {
  const why =
    'weaviate fault test: needs SIFT_WEAVIATE_URL and SIFT_WEAVIATE_DIR (.ci/run sets both after npm test)';
  if (process.env.SIFT_REQUIRE_WEAVIATE_FAULTS === '1') {
    test('weaviate fault test', () => {
      throw new Error(`SIFT_REQUIRE_WEAVIATE_FAULTS=1 but ${why}`);
    });
  } else {
    process.stderr.write(`\n*** SKIPPED ${why} ***\n\n`);
    test('weaviate fault test', { skip: `SKIPPED: ${why}` }, () => {});
  }
} else {
  test('kill -9 of one node under load: no failed query at RF 2 / consistency ONE, and the node rejoins', {
    timeout: 10 * 60_000,
  }, async (t) => {
    const connection = await connectWeaviate(WEAVIATE_URL!);
    assert.ok(connection.nodes.length >= 3, `needs 3 nodes, the cluster has ${connection.nodes.length}`);
    const analyzer = createAnalyzer();
    const random = mulberry32(42);
    const docs: RemoteDoc[] = generateJobPostings({ seed: 11, count: 600 }).map((doc) => {
      const vector = Float32Array.from({ length: 32 }, () => random() * 2 - 1);
      return {
        ...doc,
        titleTerms: analyzer.analyze(doc.title),
        textTerms: analyzer.analyze(doc.text),
        vector,
      };
    });
    const source = { corpus: 'fault', count: docs.length, docs: () => docs };
    const collection = await WeaviateCollection.ensure(connection, source, {
      name: `SiftTest_fault_${process.pid}`,
      embedder: 'random',
      dimension: 32,
      analyzer: analyzer.config,
      bm25: { k1: 1.2, b: 0.75 },
    });
    try {
      await collection.importFrom(source, { quiet: true });
      const queries = docs.slice(0, 20).map((doc) => doc.vector);
      const terms = docs.slice(0, 20).map((doc) => doc.titleTerms);
      // Answers settle some time after the import's writes are acknowledged (BM25 answers taken at once
      // lacked a document that later ranked first): the reference is taken once two snapshots a second
      // apart agree, so that what the test measures is the fault, not the settling.
      const snapshot = async () => ({
        dense: await Promise.all(queries.map((q) => collection.nearVector(q, 10))),
        bm25: await Promise.all(terms.map((q) => collection.bm25(q, ['titleTerms'], 10))),
      });
      const agree = (a: Hit[][], b: Hit[][]) => a.every((hits, i) => sameAnswer(hits, b[i]!));
      let reference = await snapshot();
      for (let tries = 0; tries < 60; tries++) {
        await new Promise((done) => setTimeout(done, 1000));
        const next = await snapshot();
        const settled = agree(next.dense, reference.dense) && agree(next.bm25, reference.bm25);
        reference = next;
        if (settled) break;
      }
      const expected = reference.dense;
      const expectedBm25 = reference.bm25;

      let stop = false;
      let phase = 'before';
      const stats = {
        ok: 0,
        failed: 0,
        wrong: 0,
        wrongByPhase: {} as Record<string, number>,
        bm25DifferentByPhase: {} as Record<string, number>,
        errors: [] as string[],
        latencies: [] as number[],
      };
      const client = async (c: number) => {
        for (let i = c; !stop; i += CLIENTS) {
          const q = i % queries.length;
          const started = performance.now();
          try {
            const lexical = i % 2 === 1;
            const hits = lexical
              ? await collection.bm25(terms[q]!, ['titleTerms'], 10)
              : await collection.nearVector(queries[q]!, 10);
            const want = lexical ? expectedBm25[q]! : expected[q]!;
            if (!sameAnswer(hits, want)) {
              const counts = lexical ? stats.bm25DifferentByPhase : stats.wrongByPhase;
              counts[phase] = (counts[phase] ?? 0) + 1;
              if (!lexical) stats.wrong++;
              if (stats.errors.length < 5)
                stats.errors.push(
                  `${phase}: ${lexical ? 'bm25' : 'dense'} ${q}: ${ids(hits)} vs ${ids(want)}`,
                );
            }
            stats.ok++;
          } catch (error) {
            stats.failed++;
            if (stats.errors.length < 5) stats.errors.push(String(error));
          }
          stats.latencies.push(performance.now() - started);
        }
      };
      const load = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
      const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
      await sleep(2000);
      const before = stats.ok;
      await run(SCRIPT, ['kill', DIR, String(KILLED)]);
      phase = 'node down';
      const killedAt = stats.ok;
      await sleep(8000);
      const duringOutage = stats.ok - killedAt;
      const restarted = performance.now();
      phase = 'restarting';
      await run(SCRIPT, ['start', DIR, String(KILLED)], { timeout: 180_000 });
      const rejoinSeconds = (performance.now() - restarted) / 1000;
      phase = 'rejoined';
      await sleep(2000);
      stop = true;
      await load;

      const nodes = (await (await fetch(`${WEAVIATE_URL!}/v1/nodes`)).json()) as {
        nodes: Array<{ name: string; status: string }>;
      };
      const sorted = [...stats.latencies].sort((a, b) => a - b);
      const p99 = sorted[Math.floor(0.99 * (sorted.length - 1))]!;
      const summary =
        `${stats.ok + stats.failed} queries by ${CLIENTS} clients (${before} before the kill, ${duringOutage} with node ${KILLED} down): ` +
        `${stats.failed} failed, ${stats.wrong} dense with another answer ${JSON.stringify(stats.wrongByPhase)}, ` +
        `BM25 with another answer ${JSON.stringify(stats.bm25DifferentByPhase)} (not asserted, see the header); p99 ${p99.toFixed(1)} ms; node ${KILLED} back and the cluster healthy ` +
        `in ${rejoinSeconds.toFixed(1)} s; nodes ${nodes.nodes.map((n) => `${n.name}:${n.status}`).join(' ')}`;
      t.diagnostic(summary);
      console.log(summary);
      assert.equal(stats.failed, 0, `${summary}\n${stats.errors.join('\n')}`);
      // While the node is down every shard answers from its surviving replica, which has every write.
      assert.equal(
        (stats.wrongByPhase.before ?? 0) + (stats.wrongByPhase['node down'] ?? 0),
        0,
        `${summary}\n${stats.errors.join('\n')}`,
      );
      assert.ok(duringOutage > 0, 'no query ran while the node was down');
      assert.ok(
        nodes.nodes.every((n) => n.status === 'HEALTHY'),
        summary,
      );
      // QUORUM needs both replicas of every shard: it answers only once the node has rejoined.
      assert.equal(await collection.count(), docs.length);
    } finally {
      await collection.drop().catch(() => {});
      await connection.close();
    }
  });
}

const ids = (hits: readonly Hit[]) => hits.map((hit) => `${hit.id}:${hit.score.toFixed(4)}`).join(' ');

/** The same scores in order, and the same documents except where scores tie (their order is free). */
function sameAnswer(a: readonly Hit[], b: readonly Hit[]): boolean {
  if (a.length !== b.length) return false;
  if (a.some((hit, i) => Math.abs(hit.score - b[i]!.score) > 1e-5)) return false;
  const cut = a.at(-1)?.score ?? 0;
  const above = (hits: readonly Hit[]) =>
    hits
      .filter((hit) => hit.score - cut > 1e-5)
      .map((hit) => hit.id)
      .sort()
      .join();
  return above(a) === above(b);
}
