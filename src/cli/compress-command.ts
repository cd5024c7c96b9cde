// `sift compress`: context compression for the rankers.
//
//   sift compress summaries --index cranfield --budget 64     extractive summaries of every document,
//                                                           stored beside the index; rerun after edits
//   sift compress summaries --index cranfield --budget 64 --method llm --model qwen2.5-coder-1.5b-instruct-q4
//                                                           written by the judge model (hours on 2 cores;
//                                                           resumable: rerun to continue)
//   sift eval --collection DIR --mode hybrid --rerank ID --rerank-summaries 64   rank the summaries
//   sift compress embed-tokens --experimental --model sift-yesno-smollm2-135m --collection DIR --out ID
//                                                           a decoder ranker that reads each document as one
//                                                           vector (MixLM); experimental: below the quality
//                                                           floor (DESIGN.md, "Embedding tokens")

import type { Command } from 'commander';
import { DEFAULT_EMBED_TOKEN_CANDIDATES, summariseIndex, trainEmbeddingTokens } from '../compress/index.js';
import { SiftError } from '../errors.js';
import { ensureModel } from '../models/index.js';
import { openChatModel } from './chat-model.js';
import { parsePositiveInt, parseSummaryMethod } from './options.js';
import { openIndexArgument } from './sources.js';

/** The tokenizer a budget is counted in: the cross-encoders' (all-MiniLM-L6-v2's BERT WordPiece). */
const BUDGET_TOKENIZER_MODEL = 'all-minilm-l6-v2';

interface SummariesOptions {
  index: string;
  budget: number;
  method: string;
  model?: string;
  url?: string;
  quiet: boolean;
}

interface EmbedTokensCliOptions {
  experimental: boolean;
  model: string;
  out: string;
  collection: string[];
  embedder?: string;
  candidates: number;
  maxQueries?: number;
  epochs: number;
  quiet: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The model --method llm uses when none is named: the default judge's, Qwen2.5-Coder-1.5B-Instruct. */
export const DEFAULT_SUMMARY_MODEL = 'qwen2.5-coder-1.5b-instruct-q4';

export function registerCompressCommand(program: Command): void {
  const compress = program
    .command('compress')
    .description('context compression: shorter documents for the rankers (summaries, embedding tokens)');
  compress
    .command('embed-tokens')
    .description(
      'experimental: a decoder ranker that reads each document as one vector (its stored embedding through a learned adapter), distilled from the decoder reading the full text',
    )
    .option('--experimental', 'required: the result is below the quality floor (DESIGN.md)', false)
    .requiredOption('--model <id>', 'a trained yes/no decoder ranker (sift models list)')
    .requiredOption('--out <id>', 'the id to install the embedding-token ranker under')
    .requiredOption(
      '--collection <dir>',
      "a BEIR collection whose training queries' hybrid candidates it learns on (repeat for several)",
      collect,
      [] as string[],
    )
    .option('--embedder <id>', "the embedder whose stored vectors it reads (default: sift's default)")
    .option(
      '--candidates <n>',
      'hybrid candidates per training query',
      parsePositiveInt,
      DEFAULT_EMBED_TOKEN_CANDIDATES,
    )
    .option(
      '--max-queries <n>',
      'training queries per collection, at most (a seeded sample)',
      parsePositiveInt,
    )
    .option('--epochs <n>', 'passes over the lists', parsePositiveInt, 2)
    .option('--quiet', 'no progress bars', false)
    .addHelpText(
      'after',
      `
Examples:
  $ sift compress embed-tokens --experimental --model sift-yesno-smollm2-135m --collection ../shared/data/cranfield --out yesno-embtok
  $ sift eval --collection ../shared/data/cranfield --mode hybrid --rerank yesno-embtok --split test`,
    )
    .action(async (opts: EmbedTokensCliOptions) => {
      if (!opts.experimental)
        throw new SiftError(
          'E_BAD_ARGUMENT',
          'embedding-token rankers are experimental (below the quality floor; DESIGN.md, "Embedding tokens"): pass --experimental to make one',
          { field: 'experimental' },
        );
      const result = await trainEmbeddingTokens({
        model: opts.model,
        out: opts.out,
        collections: opts.collection,
        candidates: opts.candidates,
        epochs: opts.epochs,
        quiet: opts.quiet,
        ...(opts.embedder ? { embedder: opts.embedder } : {}),
        ...(opts.maxQueries !== undefined ? { maxQueries: opts.maxQueries } : {}),
      });
      const detail = result.card['embeddingTokens'] as { queries: number; pairs: number; steps: number };
      console.log(
        `installed ${result.id} (${detail.queries} queries, ${detail.pairs} pairs, ${detail.steps} steps) at ${result.folder}`,
      );
    });
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
      'extractive (central sentences) | lead (the first tokens: the baseline) | llm (written by a chat model)',
      'extractive',
    )
    .option(
      '--model <id>',
      `with --method llm: a decoder sift runs (default ${DEFAULT_SUMMARY_MODEL}), or the model to ask at --url`,
    )
    .option('--url <url>', 'with --method llm: an OpenAI-compatible chat endpoint instead of a local model')
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
      const writer =
        method === 'llm' ? await openChatModel(opts, DEFAULT_SUMMARY_MODEL, opts.quiet) : undefined;
      const result = await summariseIndex({
        index,
        budget: opts.budget,
        method,
        tokenizerDir,
        quiet: opts.quiet,
        ...(writer ? { writer } : {}),
      }).finally(() => writer?.close?.());
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
