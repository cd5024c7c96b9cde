// `sift flywheel`: the loop that teaches sift what relevant means for one corpus, in one command
// (the data flywheel of ../shared/SYSTEM.md §2–3):
//   1. queries: the collection's training queries (the fixed hash split), or with --synthetic-queries N
//      (and whenever the collection has no training queries) queries a chat model writes for N sampled
//      documents, InPars-style;
//   2. sample pairs (BM25 and dense candidates by rank stratum, plus random negatives);
//   3. judge them under the policy;
//   4. calibrate the judge on the training queries' human grades, where the collection has any;
//   5. export the labels as training JSONL;
//   6. train the default cross-encoder recipe on them (installed under --id);
//   7. evaluate on the test queries' human labels: hybrid against hybrid reranked by the new model.
// Every step is resumable, so the same command continues after a kill: sampling adds only missing pairs,
// judging labels only pending ones, synthetic queries and training continue where they stopped, and
// steps recorded as done for the same inputs are skipped. The state and the final report live in the
// work folder (default $SIFT_HOME/flywheel/<collection>-<policy>).

import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { isSiftError, SiftError } from '../errors.js';
import { perQueryScores, randomisationTest } from '../eval/index.js';
import { inSplit } from '../ingest/index.js';
import {
  DEFAULT_LLAMA_JUDGE_MODEL,
  loadPolicy,
  readSyntheticQueries,
  resolveJudgeIdentity,
  writeSyntheticQueries,
} from '../judge/index.js';
import { evaluateCollection, openCollection } from '../search/index.js';
import { readTrainingJsonl, type TrainTarget, trainPreset } from '../train/index.js';
import { mulberry32, sha256File, siftPaths, writeFileAtomic } from '../util/index.js';
import { openChatModel } from './chat-model.js';
import { readFlywheelState, type StepName } from './flywheel-state.js';
import { calibrateAction } from './judge-calibrate-command.js';
import { exportAction } from './judge-export.js';
import { runAction } from './judge-run.js';
import { sampleAction } from './judge-sample.js';
import { JUDGE_SPEC_HELP } from './judge-shared.js';
import { parsePositiveInt } from './options.js';

/** The chat model that writes synthetic queries when none is named: the default judge's. */
export const DEFAULT_QUERY_WRITER = DEFAULT_LLAMA_JUDGE_MODEL;

interface FlywheelOptions {
  collection: string;
  policy: string;
  judge: string;
  work?: string;
  id?: string;
  queries: number;
  perQuery: number;
  syntheticQueries?: number;
  queryWriter: string;
  maxDocChars?: number;
  threads?: number;
  epochs?: number;
  maxSteps?: number;
  evalQueries?: number;
  json?: string;
  quiet: boolean;
}

export function registerFlywheelCommand(program: Command): void {
  program
    .command('flywheel')
    .description(
      'learn what relevant means for a corpus: queries → sample → judge → calibrate → train → evaluate (resumable)',
    )
    .requiredOption('--collection <folder>', 'BEIR collection (corpus.jsonl, queries.jsonl, qrels/test.tsv)')
    .option(
      '--policy <file>',
      'grading policy: a Markdown file, or a shipped one (web-search, job-search)',
      'web-search',
    )
    .option('--judge <spec>', JUDGE_SPEC_HELP, 'default')
    .option(
      '--work <folder>',
      'where the label store, labels, state and report go (default $SIFT_HOME/flywheel/<collection>-<policy>)',
    )
    .option('--id <id>', "the trained ranker's id (default flywheel-<collection>)")
    .option('--queries <n>', 'queries to label', parsePositiveInt, 100)
    .option('--per-query <k>', 'pairs per query', parsePositiveInt, 10)
    .option(
      '--synthetic-queries <n>',
      'write this many queries from sampled documents with a chat model (InPars) instead of the training queries (automatic when there are none)',
      parsePositiveInt,
    )
    .option(
      '--query-writer <spec>',
      'the chat model for synthetic queries: a registry decoder id, or an OpenAI-compatible base URL',
      DEFAULT_QUERY_WRITER,
    )
    .option('--max-doc-chars <n>', 'document characters shown to the judge', parsePositiveInt)
    .option('--threads <n>', 'threads for a local judge (default: every core)', parsePositiveInt)
    .option('--epochs <n>', "override the training recipe's epochs", parsePositiveInt)
    .option('--max-steps <n>', 'stop training after this many optimizer steps (quick runs)', parsePositiveInt)
    .option(
      '--eval-queries <n>',
      'evaluate on a seeded sample of this many test queries (default all)',
      parsePositiveInt,
    )
    .option('--json <file>', 'also write the report to this file')
    .option('--quiet', 'no progress bars', false)
    .addHelpText(
      'after',
      `
Examples:
  $ sift flywheel --collection ../shared/data/cranfield
  $ sift flywheel --collection ~/.sift/collections/jobs-2026-5000 --policy job-search --id my-jobs-ce
  $ sift flywheel --collection my-corpus --synthetic-queries 200 --judge http://127.0.0.1:8080/v1
Run the same command again to resume; the report is <work>/report.json.`,
    )
    .action(flywheelAction);
}

export async function flywheelAction(opts: FlywheelOptions): Promise<void> {
  const folder = resolve(opts.collection);
  const policy = await loadPolicy(opts.policy);
  const { collection, index } = await openCollection(folder, siftPaths().indexes, opts.quiet);
  const name = collection.name;
  const work = resolve(opts.work ?? join(siftPaths().home, 'flywheel', `${name}-${policy.name}`));
  const id = opts.id ?? `flywheel-${name}`;
  await mkdir(work, { recursive: true });
  const stateFile = join(work, 'flywheel.json');
  // The judge as it labels (`default` and `llama:<its model>` are one judge; a URL is the model it serves).
  const judgeId = (await resolveJudgeIdentity(opts.judge)).id;
  const state = await readFlywheelState(stateFile, {
    collection: folder,
    policy: policy.hash,
    judge: judgeId,
  });
  const store = join(work, 'labels.sqlite');
  const labelsFile = join(work, 'labels.jsonl');
  const log = (text: string) => {
    if (!opts.quiet) console.error(text);
  };
  const step = async (
    stepName: StepName,
    inputs: string | undefined,
    run: () => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>> => {
    const done = state.steps[stepName];
    if (done && inputs !== undefined && done.inputs === inputs) {
      log(`flywheel: ${stepName}: done before (${done.at}), skipped`);
      return done.detail;
    }
    log(`flywheel: ${stepName}…`);
    const started = performance.now();
    const detail = await run();
    state.steps[stepName] = {
      at: new Date().toISOString(),
      seconds: (performance.now() - started) / 1000,
      ...(inputs !== undefined ? { inputs } : {}),
      detail,
    };
    await writeFileAtomic(stateFile, `${JSON.stringify(state, null, 2)}\n`);
    return detail;
  };

  // 1. Queries.
  const trainQueries = inSplit(collection.queries, 'train', (q) => q.id);
  const synthetic = opts.syntheticQueries ?? (trainQueries.length === 0 ? opts.queries : undefined);
  const queryLog = join(work, 'queries.jsonl');
  const queries = await step('queries', undefined, async () => {
    if (synthetic === undefined) return { source: 'training queries', available: trainQueries.length };
    const live = index.docs.liveOrdinals();
    if (live.length === 0)
      throw new SiftError('E_FLYWHEEL', `the collection ${name} has no documents`, { file: folder });
    // A seeded sample of documents, the same on every run, so a resume asks for the same ones.
    const random = mulberry32(0x1f1f);
    const order = Array.from(live);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const docs = order.slice(0, synthetic).map((ord) => index.docs.get(ord));
    const writtenFile = join(work, 'synthetic-queries.jsonl');
    // Open the writer (a 1.5B model by default) only when some document still needs its query.
    const done = new Set((await readSyntheticQueries(writtenFile)).map((q) => q.sourceDoc));
    const writer = docs.every((d) => done.has(d.id))
      ? undefined
      : await openChatModel(
          /^https?:\/\//i.test(opts.queryWriter) ? { url: opts.queryWriter } : { model: opts.queryWriter },
          DEFAULT_QUERY_WRITER,
          opts.quiet,
        );
    try {
      const written = writer
        ? await writeSyntheticQueries(writer, docs, { file: writtenFile, quiet: opts.quiet })
        : (await readSyntheticQueries(writtenFile)).filter((q) => q.text !== '');
      await writeFileAtomic(
        queryLog,
        written.map((q) => `${JSON.stringify({ _id: q.id, text: q.text, source_doc: q.sourceDoc })}\n`),
      );
      return {
        source: 'synthetic',
        writer: writer?.model ?? opts.queryWriter,
        documents: docs.length,
        written: written.length,
      };
    } finally {
      await writer?.close?.();
    }
  });
  if (queries['source'] === 'synthetic' && queries['written'] === 0)
    throw new SiftError('E_FLYWHEEL', 'the query writer wrote no usable query', { field: 'query-writer' });

  // 2–3. Sample and judge: both idempotent, so they always run (cheap once done).
  await step('sample', undefined, async () => {
    await sampleAction({
      collection: folder,
      queries: opts.queries,
      perQuery: opts.perQuery,
      store,
      ...(synthetic !== undefined ? { queryLog } : {}),
      // Dense candidates always (embedding the corpus now if it is not yet): with 'auto' a later run, after
      // evaluation embedded it, would sample other pairs than the first.
      dense: 'on',
      strata: '10,30,100',
      randomShare: 0.2,
      judgedShare: 0,
      split: synthetic !== undefined ? 'all' : 'train',
      seed: 42,
      quiet: opts.quiet,
    });
    return {};
  });
  await step('judge', undefined, async () => {
    await runAction({
      store,
      policy: opts.policy,
      judge: opts.judge,
      apiKeyEnv: 'SIFT_JUDGE_API_KEY',
      timeout: 60,
      retries: 4,
      outputAttempts: 3,
      softLabels: false,
      ...(opts.maxDocChars !== undefined ? { maxDocChars: opts.maxDocChars } : {}),
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      prefix: '',
      chunk: 1,
      wait: true,
      quiet: opts.quiet,
    });
    return {};
  });

  // 4. Calibrate on the training queries' human grades, where there are any.
  const calibration = await step('calibrate', undefined, async () => {
    const judgedTrain = trainQueries.filter((q) => collection.qrels.has(q.id)).length;
    if (synthetic !== undefined || judgedTrain === 0)
      return { skipped: 'no human grades on the labelled queries: labels stay on the judge’s own scale' };
    try {
      await calibrateAction({ store: [store], qrels: [collection.qrelsPath] });
      return { fitted: true };
    } catch (error) {
      if (isSiftError(error, 'E_CALIBRATION')) return { skipped: error.message };
      throw error;
    }
  });

  // 5. Export.
  await step('export', undefined, async () => {
    await exportAction({ store, format: 'jsonl', out: labelsFile, policy: opts.policy });
    return { file: labelsFile };
  });

  // 6. Train: skipped when the same labels already trained this id to the end. The target is the richest
  // the judge gave: its own p(yes) where every label has one (a scoring judge: the paper's soft target),
  // otherwise the normalised grade (calibrated where step 4 fitted one).
  const labelsHash = await sha256File(labelsFile);
  const examples = await readTrainingJsonl(labelsFile);
  const target: TrainTarget = examples.every((e) => e.pYes !== null) ? 'p-yes' : 'grade';
  const trainSettings = JSON.stringify({
    id,
    labelsHash,
    target,
    epochs: opts.epochs,
    maxSteps: opts.maxSteps,
  });
  const trained = await step('train', trainSettings, async () => {
    const result = await trainPreset({
      preset: 'default',
      id,
      labels: [labelsFile],
      target,
      ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
      ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}),
      quiet: opts.quiet,
    });
    return {
      id: result.id,
      target,
      folder: result.folder,
      steps: result.train.steps,
      examples: result.card['examples'],
      bestDevNdcg10: result.train.bestDevNdcg10 ?? null,
      createdAt: result.card['createdAt'],
    };
  });

  // 7. Evaluate on the test queries' human labels (never seen by the judge's sampling or training).
  const evaluation = await step(
    'evaluate',
    JSON.stringify({ trainSettings, evalQueries: opts.evalQueries }),
    async () => {
      const testJudged = inSplit(collection.queries, 'test', (q) => q.id).filter((q) =>
        collection.qrels.has(q.id),
      );
      if (testJudged.length === 0) return { skipped: 'the collection has no judged test queries' };
      const evaluate = (rerank?: string) =>
        evaluateCollection(folder, {
          mode: 'hybrid',
          indexesRoot: siftPaths().indexes,
          split: 'test',
          ...(opts.evalQueries !== undefined ? { maxQueries: opts.evalQueries } : {}),
          quiet: true,
          ...(rerank ? { rerank, rerankDepth: 100 } : {}),
        });
      const hybrid = await evaluate();
      const reranked = await evaluate(id);
      const test = randomisationTest(
        perQueryScores(reranked.result, 'ndcg@10'),
        perQueryScores(hybrid.result, 'ndcg@10'),
      );
      return {
        queries: hybrid.result.queries,
        hybrid: {
          'ndcg@10': hybrid.result.metrics['ndcg@10'],
          'recall@100': hybrid.result.metrics['recall@100'],
        },
        reranked: {
          'ndcg@10': reranked.result.metrics['ndcg@10'],
          'recall@100': reranked.result.metrics['recall@100'],
        },
        deltaNdcg10: test.meanDifference,
        p: test.pValue,
      };
    },
  );

  const report = {
    collection: folder,
    policy: policy.name,
    judge: judgeId,
    id,
    work,
    queries,
    calibration,
    trained,
    evaluation,
    at: new Date().toISOString(),
  };
  await writeFileAtomic(join(work, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  if (opts.json) await writeFileAtomic(opts.json, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`${id}: trained ${String(trained['steps'])} steps; installed (use --rerank ${id})`);
  if (typeof evaluation['queries'] === 'number') {
    const fmt = (v: unknown) => (typeof v === 'number' ? v.toFixed(4) : 'n/a');
    const h = evaluation['hybrid'] as Record<string, number>;
    const r = evaluation['reranked'] as Record<string, number>;
    console.log(
      `test queries ${evaluation['queries']}: NDCG@10 hybrid ${fmt(h['ndcg@10'])}, hybrid → ${id} ${fmt(r['ndcg@10'])} ` +
        `(Δ ${fmt(evaluation['deltaNdcg10'])}, p ${fmt(evaluation['p'])})`,
    );
  } else console.log(`not evaluated: ${String(evaluation['skipped'])}`);
  console.log(`report: ${join(work, 'report.json')}`);
}
