import type { Command } from 'commander';
import { DEFAULT_CHUNK_PAIRS, DEFAULT_QUEUE_PREFIX } from '../jobs/index.js';
import { DEFAULT_AUDIT_SYSTEMS, DEFAULT_POLICY } from '../judge/index.js';
import { auditAction } from './judge-audit.js';
import { registerCalibrateCommand } from './judge-calibrate-command.js';
import { exportAction } from './judge-export.js';
import { importAction } from './judge-import.js';
import { runAction } from './judge-run.js';
import { sampleAction } from './judge-sample.js';
import { JUDGE_SPEC_HELP } from './judge-shared.js';
import { parseNonNegativeNumber, parsePositiveInt } from './options.js';

export function registerJudgeCommand(program: Command): void {
  const judge = program
    .command('judge')
    .description('label (query, document) pairs with an LLM judge under a grading policy; audit and export');

  judge
    .command('sample')
    .description('choose pairs to label: BM25 (and dense) candidates by rank stratum plus random negatives')
    .requiredOption('--collection <folder>', 'BEIR collection (corpus.jsonl, queries.jsonl, qrels/test.tsv)')
    .requiredOption('--queries <n>', 'queries to sample (judged queries first)', parsePositiveInt)
    .requiredOption('--per-query <k>', 'pairs per query', parsePositiveInt)
    .requiredOption('--store <file>', 'SQLite label store (created if missing; pairs already there are kept)')
    .option('--query-log <file>', 'take queries from this file (.jsonl with _id/text, or one query a line)')
    .option('--dense <when>', 'dense candidates too: auto (when the index has vectors) | on | off', 'auto')
    .option('--strata <ranks>', 'upper rank of each stratum', '10,30,100')
    .option(
      '--random-share <x>',
      'share of pairs drawn at random from the corpus',
      parseNonNegativeNumber,
      0.2,
    )
    .option(
      '--judged-share <x>',
      "for audits: share of each query's pairs drawn from documents the collection's qrels judge",
      parseNonNegativeNumber,
      0,
    )
    .option(
      '--split <side>',
      'which queries: train | test | all, by the fixed hash split of query ids (label training sets on train only)',
      'all',
    )
    .option('--seed <n>', 'sampling seed', parsePositiveInt, 42)
    .option('--quiet', 'no progress bars', false)
    .action(sampleAction);

  judge
    .command('run')
    .description('label every pair in the store not yet labelled by this (policy, judge); resumable')
    .requiredOption('--store <file>', 'SQLite label store made by `sift judge sample`')
    .option(
      '--policy <file>',
      `grading policy: a Markdown file, or a shipped one (web-search, job-search)`,
      DEFAULT_POLICY,
    )
    .option('--judge <spec>', JUDGE_SPEC_HELP, 'default')
    .option('--model <name>', 'model to request from a URL judge (default: the first the server lists)')
    .option(
      '--api-key-env <var>',
      'environment variable holding the API key for a URL judge',
      'SIFT_JUDGE_API_KEY',
    )
    .option(
      '--concurrency <n>',
      'pairs judged at once (default 4 for a URL judge, 1 for a local one)',
      parsePositiveInt,
    )
    .option('--rate <n>', 'at most this many requests per second to a URL judge', parseNonNegativeNumber)
    .option('--timeout <seconds>', 'per-request timeout for a URL judge', parseNonNegativeNumber, 60)
    .option(
      '--retries <n>',
      'retries of timeouts, 429 and 5xx (backoff with jitter, Retry-After honoured)',
      parseNonNegativeNumber,
      4,
    )
    .option(
      '--output-attempts <n>',
      'calls per pair before an invalid answer is recorded as a failure',
      parsePositiveInt,
      3,
    )
    .option(
      '--max-doc-chars <n>',
      'document characters shown to the judge (default 2000 for a URL judge, 1200 for a local one)',
      parsePositiveInt,
    )
    .option('--soft-labels', 'ask a URL judge for token log probabilities and store a soft label', false)
    .option('--price-in <usd>', 'USD per million prompt tokens, for cost accounting', parseNonNegativeNumber)
    .option('--price-out <usd>', 'USD per million completion tokens', parseNonNegativeNumber)
    .option(
      '--limit <n>',
      'label (with --queue: enqueue) at most this many pairs in this run',
      parsePositiveInt,
    )
    .option('--threads <n>', 'threads for a local model judge (default: every core)', parsePositiveInt)
    .option(
      '--queue <url>',
      'do not label here: put the pending pairs in chunks on this Redis (redis://HOST:PORT) for `sift worker` processes, and watch them',
    )
    .option(
      '--prefix <prefix>',
      'queue key prefix; its {hash tag} keeps the keys in one Redis Cluster slot',
      DEFAULT_QUEUE_PREFIX,
    )
    .option('--chunk <n>', 'pairs per queued chunk', parsePositiveInt, DEFAULT_CHUNK_PAIRS)
    .option('--no-wait', 'with --queue: enqueue and return instead of watching the workers')
    .option('--quiet', 'no progress bar', false)
    .addHelpText(
      'after',
      `
Examples:
  $ sift judge run --store labels.sqlite                                  (sift's local model, web-search policy)
  $ sift judge run --store labels.sqlite --judge http://127.0.0.1:8080/v1 --policy job-search
  $ SIFT_JUDGE_API_KEY=... sift judge run --store labels.sqlite --judge https://api.openai.com/v1 \\
      --model gpt-4o-mini --price-in 0.15 --price-out 0.6 --rate 5
  $ sift judge run --store labels.sqlite --judge local:smollm2-135m-instruct-q4 --queue redis://127.0.0.1:6379
      (and on each machine that sees the store: sift worker --queue redis://127.0.0.1:6379)
Interrupt (Ctrl-C) or kill it at any time: labels already written stay, and the next run skips them.`,
    )
    .action(runAction);

  registerCalibrateCommand(judge);

  judge
    .command('audit')
    .description(
      "compare judge labels with human qrels: confusion matrix, Cohen's kappa, Spearman, system ordering",
    )
    .requiredOption('--store <file>', 'SQLite label store')
    .requiredOption('--qrels <file>', 'human qrels (BEIR TSV or TREC)')
    .option('--json <file>', 'write the report as JSON')
    .option(
      '--policy <name>',
      'which labels: policy name, hash prefix or file (default: the latest labelled)',
    )
    .option('--judge <id>', 'which labels: judge id (default: the latest labelled)')
    .option('--map-grades <map>', 'judge grade → qrels grade, e.g. 0:0,1:1,2:1,3:2 (when the scales differ)')
    .option('--systems <list>', `systems to order by NDCG@10, or "none"`, DEFAULT_AUDIT_SYSTEMS.join(','))
    .option(
      '--collection <folder>',
      'BEIR folder to run the systems on (default: the one the store was sampled from)',
    )
    .option(
      '--calibration <file>',
      "calibration to apply (default: the store's, else the judge's shipped one)",
    )
    .option('--no-calibration', "audit the judge's raw grades")
    .option('--quiet', 'no progress bars', false)
    .action(auditAction);

  judge
    .command('export')
    .description('write labels as qrels TSV (for sift eval) or JSONL (for training)')
    .requiredOption('--store <file>', 'SQLite label store')
    .requiredOption('--format <format>', 'qrels | jsonl')
    .requiredOption('--out <file>', 'output file')
    .option(
      '--policy <name>',
      'which labels: policy name, hash prefix or file (default: the latest labelled)',
    )
    .option('--judge <id>', 'which labels: judge id (default: the latest labelled)')
    .option(
      '--calibration <file>',
      "calibration to apply (default: the store's, else the judge's shipped one)",
    )
    .option('--no-calibration', "export the judge's raw grades")
    .action(exportAction);

  judge
    .command('import')
    .description(
      'put exported labels (sift judge export --format jsonl, .gz too) back into a store, so labelling resumes',
    )
    .requiredOption('--store <file>', 'SQLite label store (created if missing)')
    .requiredOption('--labels <file>', 'JSONL made by `sift judge export --format jsonl` (or .jsonl.gz)')
    .option(
      '--policy <file>',
      'grading policy the labels were made under: a Markdown file, or a shipped one (web-search, job-search)',
      DEFAULT_POLICY,
    )
    .addHelpText(
      'after',
      `
Example (resume the committed job label set on a new machine):
  $ sift judge sample --collection jobs/ --split train --queries 100 --per-query 10 --store jobs.sqlite
  $ sift judge import --store jobs.sqlite --labels assets/labels/jobs.jsonl.gz --policy job-search
  $ sift judge run --store jobs.sqlite --policy job-search     (labels only the pairs still missing)`,
    )
    .action(importAction);
}

// ---- sample -----------------------------------------------------------------------------------------
