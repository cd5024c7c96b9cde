// `sift compress`: context compression for the rankers.
//
//   sift compress summaries --index cranfield --budget 64     extractive summaries of every document,
//                                                           stored beside the index; rerun after edits
//   sift eval --collection DIR --mode hybrid --rerank ID --rerank-summaries 64   rank the summaries

import type { Command } from 'commander';
import { summariseIndex } from '../compress/index.js';
import { ensureModel } from '../models/index.js';
import { parsePositiveInt, parseSummaryMethod } from './options.js';
import { openIndexArgument } from './sources.js';

/** The tokenizer a budget is counted in: the cross-encoders' (all-MiniLM-L6-v2's BERT WordPiece). */
const BUDGET_TOKENIZER_MODEL = 'all-minilm-l6-v2';

interface SummariesOptions {
  index: string;
  budget: number;
  method: string;
  quiet: boolean;
}

export function registerCompressCommand(program: Command): void {
  const compress = program
    .command('compress')
    .description('context compression: shorter documents for the rankers (summaries)');
  compress
    .command('summaries')
    .description(
      "extractive summaries of an index's documents to a token budget (resumable; documents edited since are redone)",
    )
    .requiredOption('--index <name>', 'an index name under $SIFT_HOME/indexes, or an index folder')
    .requiredOption(
      '--budget <tokens>',
      'tokens per summary, title included (BERT WordPiece)',
      parsePositiveInt,
    )
    .option(
      '--method <method>',
      'extractive (central sentences) | lead (the first tokens: the baseline)',
      'extractive',
    )
    .option('--quiet', 'no progress bar', false)
    .addHelpText(
      'after',
      `
Examples:
  $ sift compress summaries --index cranfield --budget 64
  $ sift eval --collection ../shared/data/cranfield --mode hybrid --rerank sift-ce-minilm-l6 --rerank-summaries 64`,
    )
    .action(async (opts: SummariesOptions) => {
      const method = parseSummaryMethod(opts.method);
      const index = await openIndexArgument(opts.index);
      const tokenizerDir = await ensureModel(BUDGET_TOKENIZER_MODEL, { quiet: opts.quiet });
      const result = await summariseIndex({
        index,
        budget: opts.budget,
        method,
        tokenizerDir,
        quiet: opts.quiet,
      });
      console.log(
        `${index.name}: ${result.made} summaries written, ${result.upToDate} already up to date, of ${result.documents} documents (${result.seconds.toFixed(1)} s)`,
      );
      if (result.made > 0) {
        console.log(
          `mean tokens per document: ${result.meanTokensBefore.toFixed(1)} → ${result.meanTokensAfter.toFixed(1)}`,
        );
      }
      console.log(`stored in ${result.file}`);
    });
}
