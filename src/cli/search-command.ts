// `sift search <index> "<query>"`: the top results of one query, with snippets and scores.

import type { Command } from 'commander';
import { openRanker } from '../rank/index.js';
import {
  checkFilterFields,
  localOrdinal,
  makeSnippet,
  metadataFields,
  parseFilterArgs,
} from '../retrieve/index.js';
import { openRetriever, parseMode, RETRIEVAL_MODES, rankedSearch } from '../search/index.js';
import { parsePositiveInt } from './options.js';
import { openIndexArgument } from './sources.js';

export function registerSearchCommand(program: Command): void {
  program
    .command('search')
    .description('search an index and print the top results')
    .argument('<index>', 'index folder, or the name of an index in $SIFT_HOME/indexes')
    .argument('<query>', 'the query text')
    .option('-k, --k <n>', 'number of results', parsePositiveInt, 10)
    .option('--mode <mode>', `retrieval mode: ${RETRIEVAL_MODES.join('|')}`, 'bm25')
    .option('--embedder <id>', 'embedder for dense and hybrid modes (default all-minilm-l6-v2)')
    .option(
      '--filter <condition>',
      'metadata filter, repeatable: field=value, field>=n, field<n, "field in a,b"',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--rerank <ranker>',
      "rerank the first stage's top results with this ranker (default, or a ranker id)",
    )
    .option('--rerank-depth <n>', 'first-stage hits the ranker re-scores', parsePositiveInt, 100)
    .option('--json', 'print results as JSON', false)
    .action(async (indexArg: string, query: string, opts: SearchOptions) => {
      const index = await openIndexArgument(indexArg);
      const mode = parseMode(opts.mode);
      // A filter on a field no document has is refused before any model is opened.
      const filter = parseFilterArgs(opts.filter);
      checkFilterFields(
        filter,
        metadataFields(Array.from(index.docs.liveOrdinals(), (ord) => index.docs.metadata(ord))),
      );
      const opened = await openRetriever(index, {
        mode,
        ...(opts.embedder ? { embedder: opts.embedder } : {}),
      });
      const ranker = opts.rerank ? await openRanker(opts.rerank) : undefined;
      let outcome: Awaited<ReturnType<typeof rankedSearch>>;
      try {
        outcome = await rankedSearch(index, opened.retriever, ranker, {
          query,
          k: opts.k,
          filter,
          rerankDepth: opts.rerankDepth,
        });
      } finally {
        await opened.release();
        await ranker?.release();
      }
      const { hits, timings } = outcome;
      const results = hits.map((hit) => {
        const doc = index.docs.get(localOrdinal(hit));
        return {
          id: hit.id,
          score: hit.score,
          title: doc.title,
          snippet: makeSnippet(index.analyzer, query, doc.text),
          stages: hit.stages,
          metadata: doc.metadata,
        };
      });
      if (opts.json) {
        console.log(
          JSON.stringify({ query, mode: opts.mode, rerank: opts.rerank ?? null, results, timings }, null, 2),
        );
        return;
      }
      const took = Object.entries(timings)
        .map(([stage, ms]) => `${stage.replace(/Ms$/, '')} ${(ms as number).toFixed(1)} ms`)
        .join(', ');
      const pipeline = opts.rerank ? `${opts.mode} → ${ranker?.id}` : opts.mode;
      console.log(`${results.length} results for "${query}" (${pipeline}; ${took})\n`);
      results.forEach((result, i) => {
        const stages = Object.entries(result.stages)
          .map(([stage, score]) => `${stage} ${score.toFixed(3)}`)
          .join(', ');
        console.log(
          `${String(i + 1).padStart(2)}. ${result.title || '(untitled)'}  [${result.id}]  ${result.score.toFixed(3)} (${stages})`,
        );
        console.log(`    ${highlight(result.snippet.text, result.snippet.highlights)}`);
      });
    });
}

/** Bold on a terminal, plain text when piped. */
function highlight(text: string, ranges: Array<[number, number]>): string {
  if (!process.stdout.isTTY) return text;
  let out = '';
  let at = 0;
  for (const [start, end] of ranges) {
    out += `${text.slice(at, start)}\u001b[1m${text.slice(start, end)}\u001b[22m`;
    at = end;
  }
  return out + text.slice(at);
}

interface SearchOptions {
  k: number;
  mode: string;
  embedder?: string;
  filter: string[];
  rerank?: string;
  rerankDepth: number;
  json: boolean;
}
