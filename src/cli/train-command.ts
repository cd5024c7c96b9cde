// `sift train`: trains a ranker from judge labels and installs it where `--rerank <id>` finds it.
//
//   sift train --preset default            the general-purpose cross-encoder sift-ce-minilm-l6, from the
//                                          committed label sets (a contract form: keep it)
//   sift train --preset default --labels F [--labels F2] --id my-ce     the same recipe on your labels
//
// A run is resumable: it lives in $SIFT_HOME/train/<id>/<key of recipe and data>, and the same command
// continues it after a kill (new label sets start a new run).

import type { Command } from 'commander';
import { presetNames, trainPreset } from '../train/index.js';
import { writeFileAtomic } from '../util/index.js';
import { parsePositiveInt } from './options.js';

interface TrainOptions {
  preset: string;
  id?: string;
  labels: string[];
  epochs?: number;
  maxSteps?: number;
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
    .option('--max-steps <n>', 'stop after this many optimizer steps (quick runs)', parsePositiveInt)
    .option('--json <file>', 'write the model card (data, settings, steps, dev nDCG@10) to this file')
    .option('--quiet', 'no progress bar', false)
    .addHelpText(
      'after',
      `
Examples:
  $ sift train --preset default
  $ sift eval --collection ../shared/data/cranfield --mode hybrid --rerank sift-ce-minilm-l6
  $ sift judge export --store labels.sqlite --out my-labels.jsonl
  $ sift train --preset default --labels my-labels.jsonl --id my-ce`,
    )
    .action(async (opts: TrainOptions) => {
      const result = await trainPreset({
        preset: opts.preset,
        ...(opts.id ? { id: opts.id } : {}),
        labels: opts.labels,
        ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
        ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}),
        quiet: opts.quiet,
      });
      const { card, train } = result;
      const examples = card['examples'] as { train: number; dev: number };
      const best =
        train.bestDevNdcg10 !== undefined ? `, best dev nDCG@10 ${train.bestDevNdcg10.toFixed(4)}` : '';
      console.log(
        `${result.id}: trained ${train.steps} steps on ${examples.train} examples (${examples.dev} dev)${best}${train.stoppedEarly ? ', stopped early' : ''}${train.resumed ? ', resumed' : ''}`,
      );
      console.log(`installed ${result.folder} (use --rerank ${result.id})`);
      if (opts.json) {
        await writeFileAtomic(opts.json, `${JSON.stringify(card, null, 2)}\n`);
        console.log(`wrote ${opts.json}`);
      }
    });
}
