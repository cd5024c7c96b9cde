// The evaluation numbers the web page shows: `sift eval --json` reports kept in
// $SIFT_HOME/evals/<index name>/<run name>.json. The service writes the demo corpus's own reports when
// it builds it; any report a user saves there (e.g. `sift eval ... --json $SIFT_HOME/evals/<index>/x.json`)
// shows up too.

import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type EvalResult, evaluateRun, toJsonReport } from '../eval/index.js';
import type { BeirCollection } from '../ingest/index.js';
import type { Retriever } from '../retrieve/index.js';
import { runJudgedQueries } from '../search/index.js';
import { writeFileAtomic } from '../util/index.js';

export interface EvaluationSummary {
  name: string;
  metrics: Record<string, number>;
  queries: number;
  updatedAt: string;
}

export function evaluationDir(home: string, indexName: string): string {
  return join(home, 'evals', indexName);
}

/** The reports in a folder, newest first; unreadable files are skipped (a report is optional). */
export async function readEvaluations(dir: string): Promise<EvaluationSummary[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((file) => file.endsWith('.json'));
  } catch {
    return [];
  }
  const reports: Array<EvaluationSummary & { mtime: number }> = [];
  for (const file of files) {
    try {
      const path = join(dir, file);
      const report = JSON.parse(await readFile(path, 'utf8')) as { metrics?: unknown; queries?: unknown };
      if (report.metrics === null || typeof report.metrics !== 'object' || typeof report.queries !== 'number')
        continue;
      const metrics = Object.fromEntries(
        Object.entries(report.metrics).filter(
          (entry): entry is [string, number] => typeof entry[1] === 'number',
        ),
      );
      const { mtime } = await stat(path);
      reports.push({
        name: file.slice(0, -'.json'.length),
        metrics,
        queries: report.queries,
        updatedAt: mtime.toISOString(),
        mtime: mtime.getTime(),
      });
    } catch {
      // Not a report: skipped.
    }
  }
  return reports.sort((a, b) => b.mtime - a.mtime).map(({ mtime: _mtime, ...summary }) => summary);
}

/** Runs a collection's judged queries through each retriever and writes one report per retriever. */
export async function writeEvaluations(
  dir: string,
  collection: BeirCollection,
  retrievers: readonly Retriever[],
): Promise<EvalResult[]> {
  await mkdir(dir, { recursive: true });
  const results: EvalResult[] = [];
  for (const retriever of retrievers) {
    const run = await runJudgedQueries(collection, retriever, 1000, true);
    const result = evaluateRun(run, collection.qrels);
    await writeFileAtomic(join(dir, `${retriever.name}.json`), `${toJsonReport(result)}\n`);
    results.push(result);
  }
  return results;
}
