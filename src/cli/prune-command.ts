// `sift prune`: structured pruning of a trained cross-encoder or yes/no decoder ranker (OSSCAR, or magnitude
// as the baseline),
// installed as a new trained model that --rerank and sift serve use by id.
//
//   sift prune --model sift-ce-minilm-l6 --mlp 0.5 --drop-layers 2 --calibration ../shared/data/cranfield --out ce-half
//   … --recover    then the recovery fine-tune (compress/recover.ts): --out is the recovered model
//   … --recover --queue redis://HOST:PORT    its teacher scoring on `sift worker` processes

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  DEFAULT_CALIBRATION_PAIRS,
  type PruneMethod,
  pruneTrainedModel,
  recoverPrunedModel,
} from '../compress/index.js';
import { SiftError } from '../errors.js';
import { installedTrainedKind } from '../models/index.js';
import { siftPaths, writeFileAtomic } from '../util/index.js';
import { parsePositiveInt } from './options.js';
import { addTeacherQueueOptions, type QueueOptions, queuedScorer, teacherQueue } from './queued-scorer.js';

interface PruneOptions extends QueueOptions {
  model: string;
  out: string;
  calibration: string[];
  mlp?: number;
  heads?: number;
  dropLayers?: number;
  method: string;
  pairs: number;
  steps?: number;
  localSearch?: number;
  recover: boolean;
  json?: string;
  quiet: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerPruneCommand(program: Command): void {
  const command = program
    .command('prune')
    .description(
      'prune a trained cross-encoder or decoder ranker (OSSCAR) and install the result under a new id',
    )
    .requiredOption('--model <id>', 'the trained cross-encoder or decoder ranker to prune (sift models list)')
    .requiredOption('--out <id>', 'the id to install the pruned model under')
    .requiredOption(
      '--calibration <dir>',
      "a BEIR collection whose training queries' pairs calibrate the fit (repeat for several)",
      collect,
      [] as string[],
    )
    .option(
      '--mlp <fraction>',
      'fraction of MLP neurons to remove in every layer, in (0, 1)',
      fractionArg('mlp'),
    )
    .option(
      '--heads <fraction>',
      'fraction of attention heads to remove in every layer, in (0, 1)',
      fractionArg('heads'),
    )
    .option('--drop-layers <k>', 'drop the last k layers', parsePositiveInt)
    .option('--method <method>', 'osscar (refit the consumers) | magnitude (the baseline)', 'osscar')
    .option('--pairs <n>', 'calibration pairs in all', parsePositiveInt, DEFAULT_CALIBRATION_PAIRS)
    .option('--steps <n>', 'OSSCAR elimination rounds per layer (default 8)', parsePositiveInt)
    .option('--local-search <n>', 'OSSCAR swap rounds after elimination (default 0)', parsePositiveInt)
    .option(
      '--recover',
      "then fine-tune the pruned model to reproduce the source's order of BM25's candidates for the calibration collections' training queries; installs it as --out, and the model before recovery as <out>-unrecovered",
      false,
    );
  addTeacherQueueOptions(command, 'with --recover')
    .option('--json <file>', "write the pruned model's card (per-block errors, parameter counts) here")
    .option('--quiet', 'no progress bar', false)
    .addHelpText(
      'after',
      `
Examples:
  $ sift prune --model sift-ce-minilm-l6 --mlp 0.5 --calibration ../shared/data/cranfield --out ce-mlp50
  $ sift eval --collection ../shared/data/cranfield --mode hybrid --rerank ce-mlp50 --split test
  $ sift prune --model sift-ce-minilm-l6 --mlp 0.5 --drop-layers 2 --calibration ../shared/data/cranfield --out ce-small --recover`,
    )
    .action(async (opts: PruneOptions) => {
      if (opts.mlp === undefined && opts.heads === undefined && opts.dropLayers === undefined) {
        throw new SiftError('E_BAD_ARGUMENT', 'say what to remove: --mlp, --heads and/or --drop-layers', {
          field: 'mlp',
        });
      }
      if (opts.recover && installedTrainedKind(opts.model) === 'decoder-ranker') {
        throw new SiftError(
          'E_BAD_ARGUMENT',
          '--recover distils a pruned cross-encoder from its source; decoder rankers are pruned without it',
          { field: 'recover' },
        );
      }
      if (opts.queue !== undefined && !opts.recover) {
        throw new SiftError(
          'E_BAD_ARGUMENT',
          "--queue runs the recovery's teacher scoring on workers: it needs --recover",
          { field: 'queue' },
        );
      }
      // An unreachable queue fails before the pruning, not after it.
      const target = await teacherQueue(opts);
      const result = await pruneTrainedModel({
        model: opts.model,
        out: opts.recover ? `${opts.out}-unrecovered` : opts.out,
        calibration: opts.calibration,
        pairs: opts.pairs,
        method: parseMethod(opts.method),
        quiet: opts.quiet,
        ...(opts.mlp !== undefined ? { mlp: opts.mlp } : {}),
        ...(opts.heads !== undefined ? { heads: opts.heads } : {}),
        ...(opts.dropLayers !== undefined ? { dropLayers: opts.dropLayers } : {}),
        ...(opts.steps !== undefined ? { steps: opts.steps } : {}),
        ...(opts.localSearch !== undefined ? { localSearch: opts.localSearch } : {}),
      });
      const { prune } = result;
      for (const warning of prune.warnings) console.error(`sift: warning: ${warning}`);
      const mean = (key: 'relativeError' | 'magnitudeRelativeError') =>
        prune.layers.length === 0 ? 0 : prune.layers.reduce((s, l) => s + l[key], 0) / prune.layers.length;
      console.log(
        `${result.id}: ${prune.layersAfter} of ${prune.layersBefore} layers, ${(prune.after.nonEmbedding / 1e6).toFixed(2)}M of ${(prune.before.nonEmbedding / 1e6).toFixed(2)}M non-embedding parameters` +
          (prune.layers.length > 0
            ? `; mean relative reconstruction error ${mean('relativeError').toFixed(4)} (magnitude pruning: ${mean('magnitudeRelativeError').toFixed(4)})`
            : ''),
      );
      console.log(`installed ${result.folder} (use --rerank ${result.id})`);
      let card = result.card;
      if (opts.recover) {
        const chunkFolder = join(siftPaths().home, 'train', opts.out, 'teacher-chunks');
        const recovered = await recoverPrunedModel({
          pruned: result.id,
          out: opts.out,
          collections: opts.calibration,
          quiet: opts.quiet,
          ...(target ? { scoreLists: queuedScorer(target, chunkFolder, opts) } : {}),
        });
        // The scores are in the installed model now: the chunk files were only kept for a rerun.
        await rm(chunkFolder, { recursive: true, force: true });
        const best =
          recovered.bestDevNdcg10 !== undefined
            ? `, best dev nDCG@10 ${recovered.bestDevNdcg10.toFixed(4)}`
            : '';
        console.log(
          `${recovered.id}: recovery fine-tune from ${opts.model}, ${recovered.steps} steps on ${recovered.examples.train} candidates of ${recovered.examples.queries} training queries${best}`,
        );
        console.log(`installed ${recovered.folder} (use --rerank ${recovered.id})`);
        card = recovered.card;
      }
      if (opts.json) {
        await writeFileAtomic(opts.json, `${JSON.stringify(card, null, 2)}\n`);
        console.log(`wrote ${opts.json}`);
      }
    });
}

function fractionArg(field: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n >= 1) {
      throw new SiftError(
        'E_PRUNE',
        `--${field} is a fraction to remove and must be in (0, 1), not "${value}"`,
        {
          field,
        },
      );
    }
    return n;
  };
}

function parseMethod(method: string): PruneMethod {
  if (method === 'osscar' || method === 'magnitude') return method;
  throw new SiftError('E_BAD_ARGUMENT', `--method must be osscar or magnitude, not "${method}"`, {
    field: 'method',
  });
}
