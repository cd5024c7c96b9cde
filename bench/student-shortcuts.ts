// Question: what has a distilled ranker learned from the judge, order or a shortcut? Within each query of
// each committed label set (the order within a query is all a ranker is judged on), the mean Pearson
// correlation between:
// - the judge's p(yes), the human grade (unjudged = 0) and document length (characters of title + text),
//   pairwise: how much of the teacher's order is length, and whether people share that preference;
// - each ranker's scores (`--rankers`, default sift-ce-minilm-l6 when trained here) and each of those three,
//   plus the spread of its scores within a query (standard deviation: near 0 means a head that barely
//   left its initialisation, so the order it gives comes from whatever small feature it picked first).
// Pairs are the committed sets', i.e. training (and dev) queries: this measures what was learned, not how
// it transfers (bench/distill.ts does that on test queries).
//
//   npm run build && node dist/bench/student-shortcuts.js [--rankers a,b] [--max-queries N]
// Results: bench/results/student-shortcuts.json.

import { join } from 'node:path';
import { ensureDemoCollection } from '../src/demo/index.js';
import { loadBeirCollection } from '../src/ingest/index.js';
import { pearson } from '../src/judge/index.js';
import { installedTrainedIds } from '../src/models/index.js';
import { openRanker } from '../src/rank/index.js';
import { committedLabelSets, readTrainingJsonl, type TrainingExample } from '../src/train/index.js';
import { sharedDir, siftPaths } from '../src/util/index.js';
import { positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

/** Mean over queries of a within-query statistic, skipping queries where it is undefined. */
function meanOver<T>(groups: readonly T[], stat: (group: T) => number | undefined): number {
  const values = groups.map(stat).filter((v): v is number => v !== undefined && Number.isFinite(v));
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : Number.NaN;
}

function byQuery(examples: readonly TrainingExample[]): TrainingExample[][] {
  const groups = new Map<string, TrainingExample[]>();
  for (const e of examples) {
    const group = groups.get(e.queryId) ?? [];
    group.push(e);
    groups.set(e.queryId, group);
  }
  return [...groups.values()].filter((g) => g.length >= 3);
}

async function main(): Promise<void> {
  const trained = installedTrainedIds(siftPaths().home, 'cross-encoder');
  const rankers = stringArg('--rankers', trained.includes('sift-ce-minilm-l6') ? 'sift-ce-minilm-l6' : '')
    .split(',')
    .filter(Boolean);
  const maxQueries = positiveIntArg('--max-queries', 1_000_000);
  const demo = await ensureDemoCollection({ root: siftPaths().collections, seed: 2026, docs: 5000 });
  const folders: Record<string, string> = {
    cranfield: join(sharedDir(), 'data', 'cranfield'),
    'dbpedia-entity-subset': join(sharedDir(), 'data', 'dbpedia-entity-subset'),
    jobs: demo.folder,
  };
  const teacherRows: Record<string, string | number>[] = [];
  const studentRows: Record<string, string | number>[] = [];
  for (const set of committedLabelSets()) {
    const folder = folders[set.name];
    if (!folder) continue;
    const collection = await loadBeirCollection(folder, {});
    const groups = byQuery(await readTrainingJsonl(set.file)).slice(0, maxQueries);
    const human = (e: TrainingExample) => collection.qrels.get(e.queryId)?.get(e.docId) ?? 0;
    const length = (e: TrainingExample) => e.title.length + e.text.length;
    const pYes = (e: TrainingExample) => e.pYes ?? Number.NaN;
    teacherRows.push({
      set: set.name,
      queries: groups.length,
      'p(yes)~length': meanOver(groups, (g) => pearson(g.map(pYes), g.map(length))),
      'human~length': meanOver(groups, (g) => pearson(g.map(human), g.map(length))),
      'p(yes)~human': meanOver(groups, (g) => pearson(g.map(pYes), g.map(human))),
    });
    for (const id of rankers) {
      const ranker = await openRanker(id);
      const scores: number[][] = [];
      for (const g of groups)
        scores.push(
          Array.from(
            await ranker.score(
              g[0]!.query,
              g.map((e) => ({ id: e.docId, title: e.title, text: e.text })),
            ),
          ),
        );
      await ranker.release();
      const at = (i: number) => scores[i]!;
      const index = groups.map((_, i) => i);
      studentRows.push({
        set: set.name,
        ranker: id,
        queries: groups.length,
        'score sd': meanOver(index, (i) => {
          const s = at(i);
          const m = s.reduce((a, v) => a + v, 0) / s.length;
          return Math.sqrt(s.reduce((a, v) => a + (v - m) ** 2, 0) / s.length);
        }),
        'score~p(yes)': meanOver(index, (i) => pearson(at(i), groups[i]!.map(pYes))),
        'score~human': meanOver(index, (i) => pearson(at(i), groups[i]!.map(human))),
        'score~length': meanOver(index, (i) => pearson(at(i), groups[i]!.map(length))),
      });
    }
  }
  console.log(
    'Within-query Pearson correlation, mean over queries (committed label sets: training queries)\n',
  );
  printTable(teacherRows, 3);
  if (studentRows.length) {
    console.log('');
    printTable(studentRows, 3);
  }
  writeResult('student-shortcuts', {
    question: 'within-query correlations of the teacher, people, document length and trained rankers',
    rankers,
    teacher: teacherRows,
    students: studentRows,
  });
}

await main();
