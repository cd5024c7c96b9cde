// Question: how much is there to distil? The judge (Qwen2.5-Coder-1.5B under the collection's policy, the
// teacher of every student) used directly as a reranker, against the first stage it would rerank, on
// test queries (whose labels no student saw). A student can at best keep the teacher's gain; issue 21
// asks students for hybrid + 0.02 and ≥ 90% of the teacher's gain.
//
// The judge costs seconds per pair on 2 cores, so this reads a seeded sample of test queries per
// collection (`--queries`, default 8, evaluateCollection's own sampler) and reranks hybrid's top
// `--depth` (default 20), below which hybrid's order is kept. Runs, each scored by NDCG@10 on the human
// qrels with the paired randomisation test against hybrid:
// - hybrid;
// - the top in a seeded random order (the floor);
// - the judge's p(yes) (the students' soft target), and its expected grade (Σ g·p(g), the grading
//   form's own score). The calibrated grade is not a row: the committed sets' calibrations are logistic
//   maps of grade, p(yes) and query likelihood, and this bench skips the query-likelihood form (a dozen
//   more token evaluations per pair) to judge twice as many pairs in the time;
// - each trained ranker in `--rankers` (default sift-ce-minilm-l6 when trained here) on the same top.
// Judgements are cached in $SIFT_HOME/bench/teacher-gain/<collection>.jsonl as they are made, so a killed
// run resumes; the cache is keyed by judge, policy, query and document.
//
//   npm run build && node dist/bench/teacher-gain.js [--queries N] [--depth K] [--rankers a,b]
//     [--collections jobs,cranfield,...]   (names' prefixes, run in this order; default all three)
//     [--name teacher-gain-jobs]           (the results file; a collection's own sample size gets its own file)
// Results: bench/results/teacher-gain.json (or <--name>.json).

import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateRun, perQueryScores, type Run, randomisationTest } from '../src/eval/index.js';
import { DEFAULT_JUDGE, DEFAULT_LLAMA_JUDGE_MODEL, loadPolicy, openLlamaJudge } from '../src/judge/index.js';
import { installedTrainedIds } from '../src/models/index.js';
import { openRanker } from '../src/rank/index.js';
import { mulberry32, ProgressBar, siftPaths } from '../src/util/index.js';
import { hybridTop } from './lib/hybrid-top.js';
import { judgedAs } from './lib/label-sets.js';
import { learnedRankerCollections } from './lib/learned-collections.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

interface CachedJudgement {
  key: string;
  pYes: number;
  expectedGrade: number;
  grade: number;
}

interface Row {
  collection: string;
  run: string;
  queries: number;
  'ndcg@10': number;
  'Δ ndcg@10 vs hybrid': number | string;
  p: number | string;
}

async function main(): Promise<void> {
  const queries = positiveIntArg('--queries', 8);
  const depth = positiveIntArg('--depth', 20);
  const trained = installedTrainedIds(siftPaths().home, 'cross-encoder');
  const rankers = stringArg('--rankers', trained.includes('sift-ce-minilm-l6') ? 'sift-ce-minilm-l6' : '')
    .split(',')
    .filter((id) => id !== '' && id !== 'none');
  const cacheDir = join(siftPaths().home, 'bench', 'teacher-gain');
  mkdirSync(cacheDir, { recursive: true });
  const rows: Row[] = [];
  const judgedSeconds: number[] = [];

  const only = stringArg('--collections', '').split(',').filter(Boolean);
  const all = await learnedRankerCollections();
  const folders = only.length
    ? only.map((name) => {
        const folder = all.find((f) => f.split('/').pop()!.startsWith(name));
        if (!folder) throw new Error(`--collections: no collection named ${name}`);
        return folder;
      })
    : all;
  for (const folder of folders) {
    const { hybrid, queryText, docs } = await hybridTop(folder, queries, depth);
    const name = hybrid.collection.name.startsWith('jobs') ? 'jobs' : hybrid.collection.name;
    const judged = judgedAs(name);
    const policy = await loadPolicy(judged.policy);

    const cacheFile = join(cacheDir, `${name}.jsonl`);
    const cache = new Map<string, CachedJudgement>();
    if (existsSync(cacheFile))
      for (const line of readFileSync(cacheFile, 'utf8').split('\n'))
        if (line.trim()) {
          const entry = JSON.parse(line) as CachedJudgement;
          cache.set(entry.key, entry);
        }
    const keyOf = (queryId: string, docId: string) =>
      JSON.stringify([DEFAULT_JUDGE, judged.policy, judged.maxDocChars, queryId, docId]);
    const pending = [...hybrid.run].flatMap(([queryId, ranked]) =>
      ranked
        .slice(0, depth)
        .map((d) => ({ queryId, docId: d.docId }))
        .filter((p) => !cache.has(keyOf(p.queryId, p.docId))),
    );
    if (pending.length > 0) {
      // Only the forms read here (query likelihood would cost a dozen more token evaluations per pair);
      // each form reads after the same document prefix, so p(yes) is the labelling run's.
      const judge = await openLlamaJudge(DEFAULT_LLAMA_JUDGE_MODEL, {
        quiet: true,
        forms: ['grade', 'yesno'],
        prompt: { maxDocChars: judged.maxDocChars },
      });
      const bar = new ProgressBar({ label: `${name}: judging`, total: pending.length, unit: 'pairs' });
      for (const { queryId, docId } of pending) {
        const started = performance.now();
        const judgement = await judge.judge({
          policy,
          query: queryText.get(queryId)!,
          document: { id: docId, ...docs.get(docId)! },
        });
        judgedSeconds.push((performance.now() - started) / 1000);
        const entry: CachedJudgement = {
          key: keyOf(queryId, docId),
          pYes: judgement.scores?.pYes ?? Number.NaN,
          expectedGrade: judgement.scores?.expectedGrade ?? judgement.grade,
          grade: judgement.grade,
        };
        appendFileSync(cacheFile, `${JSON.stringify(entry)}\n`);
        cache.set(entry.key, entry);
        bar.tick();
      }
      bar.finish();
      await judge.close();
    }

    const reranked = (score: (queryId: string, docId: string, rank: number) => number): Run => {
      const run: Run = new Map();
      for (const [queryId, ranked] of hybrid.run) {
        const top = ranked
          .slice(0, depth)
          .map((d, rank) => ({ docId: d.docId, s: score(queryId, d.docId, rank), rank }))
          .sort((a, b) => b.s - a.s || a.rank - b.rank);
        const order = [...top.map((t) => t.docId), ...ranked.slice(depth).map((d) => d.docId)];
        run.set(
          queryId,
          order.map((docId, rank) => ({ docId, score: order.length - rank })),
        );
      }
      return run;
    };
    const qrels = new Map([...hybrid.collection.qrels].filter(([id]) => hybrid.run.has(id)));
    const row = (run: string, result: ReturnType<typeof evaluateRun>): Row => {
      const test = randomisationTest(
        perQueryScores(result, 'ndcg@10'),
        perQueryScores(hybrid.result, 'ndcg@10'),
      );
      return {
        collection: name,
        run,
        queries: result.queries,
        'ndcg@10': result.metrics['ndcg@10']!,
        'Δ ndcg@10 vs hybrid': run === 'hybrid' ? '' : test.meanDifference,
        p: run === 'hybrid' ? '' : test.pValue,
      };
    };
    const evaluate = (run: Run) => evaluateRun(run, qrels, { metrics: ['ndcg@10'] });
    rows.push(row('hybrid', hybrid.result));
    const random = mulberry32(0x5eed);
    const shuffled = new Map<string, number>();
    rows.push(
      row(
        `hybrid top ${depth} in random order`,
        evaluate(
          reranked((q, d) => {
            const key = `${q}\u0000${d}`;
            if (!shuffled.has(key)) shuffled.set(key, random());
            return shuffled.get(key)!;
          }),
        ),
      ),
    );
    const judgement = (q: string, d: string) => cache.get(keyOf(q, d))!;
    rows.push(row(`judge p(yes) @${depth}`, evaluate(reranked((q, d) => judgement(q, d).pYes))));
    rows.push(
      row(`judge expected grade @${depth}`, evaluate(reranked((q, d) => judgement(q, d).expectedGrade))),
    );
    for (const id of rankers) {
      const ranker = await openRanker(id);
      const scores = new Map<string, number>();
      for (const [queryId, ranked] of hybrid.run) {
        const top = ranked.slice(0, depth);
        const s = await ranker.score(
          queryText.get(queryId)!,
          top.map((d) => ({ id: d.docId, ...docs.get(d.docId)! })),
        );
        for (const [i, d] of top.entries()) scores.set(`${queryId}\u0000${d.docId}`, s[i]!);
      }
      await ranker.release();
      rows.push(row(`${id} @${depth}`, evaluate(reranked((q, d) => scores.get(`${q}\u0000${d}`)!))));
    }
    console.error(`${name}: done`);
  }
  printTable(rows as unknown as Record<string, string | number>[], 3);
  const file = writeResult(stringArg('--name', 'teacher-gain'), {
    machine: machineInfo(),
    question: 'the judge as a reranker of hybrid on test queries: the gain a student can at best keep',
    judge: DEFAULT_JUDGE,
    split: 'test',
    queriesPerCollection: queries,
    depth,
    secondsPerJudgement: judgedSeconds.length
      ? judgedSeconds.reduce((s, v) => s + v, 0) / judgedSeconds.length
      : null,
    rows,
  });
  console.log(`wrote ${file}`);
}

await main();
