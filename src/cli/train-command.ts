// `sift train`: trains a ranker from judge labels and installs it where `--rerank <id>` finds it.
//
//   sift train --preset default            the general-purpose cross-encoder sift-ce-minilm-l6, from the
//                                          committed label sets (a contract form: keep it)
//   sift train --preset default --labels F [--labels F2] --id my-ce     the same recipe on your labels
//   sift train --preset bi-encoder         the embedder sift-bi-minilm-l6, fine-tuned on the same sets
//
// A run is resumable: it lives in $SIFT_HOME/train/<id>/<key of recipe and data>, and the same command
// continues it after a kill (new label sets start a new run).

import type { Command } from 'commander';
import { SiftError } from '../errors.js';
import { presetNames, type TrainLoss, type TrainTarget, trainPreset } from '../train/index.js';
import { writeFileAtomic } from '../util/index.js';
import { parsePositiveInt, parsePositiveNumber } from './options.js';

interface TrainOptions {
  preset: string;
  id?: string;
  labels: string[];
  epochs?: number;
  learningRate?: number;
  loss?: string;
  target?: string;
  maxSteps?: number;
  from?: string;
  json?: string;
  quiet: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train a ranker from judge labels (resumable) and install it for --rerank')
    .requiredOption('--preset <name>', `the recipe: ${presetNames().join('|')}`)
    .option('--id <id>', "the trained model's id (default: the preset's, e.g. sift-ce-minilm-l6)")
    .option(
      '--labels <file>',
      'training JSONL from `sift judge export` (.gz allowed; repeat); default the committed label sets',
      collect,
      [] as string[],
    )
    .option('--epochs <n>', "override the preset's epochs", parsePositiveInt)
    .option('--learning-rate <x>', "override the preset's peak learning rate", parsePositiveNumber)
    .option('--loss <loss>', "override the preset's loss: bce|kl|listwise")
    .option(
      '--target <target>',
      "override the preset's target: grade (calibrated) | p-yes (the judge's p(yes))",
    )
    .option('--max-steps <n>', 'stop after this many optimizer steps (quick runs)', parsePositiveInt)
    .option(
      '--from <id>',
      "start from this trained model instead of the preset's base (e.g. a pruned model's recovery fine-tune)",
    )
    .option('--json <file>', 'write the model card (data, settings, steps, dev nDCG@10) to this file')
    .option('--quiet', 'no progress bar', false)
    .addHelpText(
      'after',
      `
Examples:
  $ sift train --preset default
  $ sift eval --collection ../shared/data/cranfield --mode hybrid --rerank sift-ce-minilm-l6
  $ sift judge export --store labels.sqlite --out my-labels.jsonl
  $ sift train --preset default --labels my-labels.jsonl --id my-ce
  $ sift train --preset bi-encoder
  $ sift eval --collection ../shared/data/cranfield --mode hybrid --embedder sift-bi-minilm-l6
  $ sift train --preset default --from ce-small --id ce-small-recovered --epochs 2   (after sift prune)`,
    )
    .action(async (opts: TrainOptions) => {
      const result = await trainPreset({
        preset: opts.preset,
        ...(opts.id ? { id: opts.id } : {}),
        labels: opts.labels,
        ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
        ...(opts.learningRate !== undefined ? { learningRate: opts.learningRate } : {}),
        ...(opts.loss !== undefined ? { loss: parseLoss(opts.loss) } : {}),
        ...(opts.target !== undefined ? { target: parseTarget(opts.target) } : {}),
        ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}),
        ...(opts.from !== undefined ? { from: opts.from } : {}),
        quiet: opts.quiet,
      });
      const { card, train } = result;
      const examples = card['examples'] as { train: number; dev: number };
      const best =
        train.bestDevNdcg10 !== undefined ? `, best dev nDCG@10 ${train.bestDevNdcg10.toFixed(4)}` : '';
      console.log(
        `${result.id}: trained ${train.steps} steps on ${examples.train} examples (${examples.dev} dev)${best}${train.stoppedEarly ? ', stopped early' : ''}${train.resumed ? ', resumed' : ''}`,
      );
      const use = card.kind === 'bi-encoder' ? `--embedder ${result.id}` : `--rerank ${result.id}`;
      console.log(`installed ${result.folder} (use ${use})`);
      if (opts.json) {
        await writeFileAtomic(opts.json, `${JSON.stringify(card, null, 2)}\n`);
        console.log(`wrote ${opts.json}`);
      }
    });
}

function parseLoss(loss: string): TrainLoss {
  if (loss === 'bce' || loss === 'kl' || loss === 'listwise') return loss;
  throw new SiftError('E_BAD_ARGUMENT', `--loss must be bce, kl or listwise, not "${loss}"`, {
    field: 'loss',
  });
}

function parseTarget(target: string): TrainTarget {
  if (target === 'grade' || target === 'p-yes') return target;
  throw new SiftError('E_BAD_ARGUMENT', `--target must be grade or p-yes, not "${target}"`, {
    field: 'target',
  });
}
