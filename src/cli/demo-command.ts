// `sift demo`: generates the synthetic job-postings collection, indexes it, searches it and scores it.

import type { Command } from 'commander';
import { ensureDemoCollection } from '../demo/index.js';
import { formatMetricsTable } from '../eval/index.js';
import type { FilterSpec } from '../retrieve/index.js';
import { Bm25Retriever, localOrdinal, makeSnippet } from '../retrieve/index.js';
import { evaluateCollection } from '../search/index.js';
import { siftPaths } from '../util/index.js';
import { parsePositiveInt } from './options.js';

const EXAMPLES: Array<{ query: string; filter?: FilterSpec; note: string }> = [
  { query: 'senior backend engineer kubernetes', note: 'a title with a skill' },
  {
    query: 'registered nurse',
    filter: { workplace: 'on-site', salaryMin: { gte: 60000 } },
    note: 'with filters',
  },
  {
    query: 'data scientist',
    filter: { seniority: { in: ['junior', 'mid'] } },
    note: 'seniority in junior, mid',
  },
];

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('generate the synthetic job-postings corpus, index it, run example searches and evaluate')
    .option('--docs <n>', 'job postings to generate', parsePositiveInt, 5000)
    .option('--seed <n>', 'generator seed', parsePositiveInt, 2026)
    .action(async (opts: { docs: number; seed: number }) => {
      const paths = siftPaths();
      const collection = await ensureDemoCollection({
        root: paths.collections,
        seed: opts.seed,
        docs: opts.docs,
      });
      console.log(
        `${collection.generated ? 'generated' : 'reusing'} ${opts.docs} synthetic job postings in ${collection.folder}`,
      );
      const outcome = await evaluateCollection(collection.folder, {
        mode: 'bm25',
        indexesRoot: paths.indexes,
      });
      const { index } = outcome;
      const retriever = new Bm25Retriever(index);
      for (const example of EXAMPLES) {
        const filterText = example.filter ? ` ${JSON.stringify(example.filter)}` : '';
        console.log(`\n$ sift search ${index.name} "${example.query}"${filterText}   (${example.note})`);
        const hits = await retriever.search({
          query: example.query,
          k: 3,
          ...(example.filter ? { filter: example.filter } : {}),
        });
        for (const [i, hit] of hits.entries()) {
          const doc = index.docs.get(localOrdinal(hit));
          const { location, seniority, salaryMin, salaryMax } = doc.metadata;
          console.log(
            `  ${i + 1}. ${doc.title} — ${String(location)}, ${String(seniority)}, $${String(salaryMin)}–${String(salaryMax)}  (${hit.score.toFixed(2)})`,
          );
          console.log(`     ${makeSnippet(index.analyzer, example.query, doc.text, 20).text}`);
        }
      }
      console.log(
        `\nBM25 on the demo's ${outcome.result.queries} judged queries (grades from the generator's ground truth):`,
      );
      console.log(formatMetricsTable([{ name: 'bm25', result: outcome.result }]));
      console.log(
        `Try: bin/sift search ${index.name} "remote python developer" --filter "salaryMin>=100000"`,
      );
    });
}
