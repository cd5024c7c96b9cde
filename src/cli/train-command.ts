// `sift train`: trains a ranker from judge labels and installs it where `--rerank <id>` finds it.
//
//   sift train --preset default            the general-purpose cross-encoder sift-ce-minilm-l6, from the
//                                          committed label sets (a contract form: keep it)
//   sift train --preset default --labels F [--labels F2] --id my-ce     the same recipe on your labels
//   sift train --preset bi-encoder         the embedder sift-bi-minilm-l6, fine-tuned on the same sets
//   sift train --preset student --teacher sift-ce-minilm-l6 --collection DIR [--queue URL]
//                                          the 3-layer sift-ce-minilm-l3, distilled from the teacher's
//                                          scores of BM25's candidates (on workers with --queue)
//
// A run is resumable: it lives in $SIFT_HOME/train/<id>/<key of recipe and data>, and the same command
// continues it after a kill (new label sets start a new run).

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SiftError } from '../errors.js';
import {
  presetNames,
  STUDENT_PRESET,
  type TrainLoss,
  type TrainTarget,
  trainPreset,
  trainStudent,
} from '../train/index.js';
import { siftPaths, writeFileAtomic } from '../util/index.js';
import { parseNonNegativeInt, parsePositiveInt, parsePositiveNumber } from './options.js';
import { addTeacherQueueOptions, type QueueOptions, queuedScorer, teacherQueue } from './queued-scorer.js';

interface TrainOptions extends QueueOptions {
  preset: string;
  id?: string;
  labels: string[];
  epochs?: number;
  learningRate?: number;
  loss?: string;
  target?: string;
  maxSteps?: number;
  from?: string;
  teacher?: string;
  collection: string[];
  titles?: number;
  maxQueries?: number;
  json?: string;
  quiet: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerTrainCommand(program: Command): void {
  const command = program
    .command('train')
    .description(
      'train a ranker from judge labels, or a student from a teacher (resumable), and install it for --rerank',
    )
    .requiredOption('--preset <name>', `the recipe: ${[...presetNames(), STUDENT_PRESET.name].join('|')}`)
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
    .option('--teacher <id>', 'student: the trained cross-encoder whose scores teach')
    .option(
      '--collection <dir>',
      "student: a BEIR collection whose training queries and titles give BM25's candidate lists (repeat)",
      collect,
      [] as string[],
    )
    .option(
      '--titles <n>',
      `student: corpus titles per collection taught as extra queries (default ${STUDENT_PRESET.titleQueries})`,
      parseNonNegativeInt,
    )
    .option(
      '--max-queries <n>',
      'student: training queries per collection, at most (quick runs)',
      parsePositiveInt,
    );
  addTeacherQueueOptions(command, 'student')
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
  $ sift train --preset default --from ce-small --id ce-small-recovered --epochs 2   (after sift prune)
  $ sift train --preset student --teacher sift-ce-minilm-l6 --collection ../shared/data/cranfield
  $ sift eval --collection ../shared/data/cranfield --mode hybrid --rerank sift-ce-minilm-l3`,
    )
    .action(async (opts: TrainOptions) => {
      if (opts.preset === STUDENT_PRESET.name) return studentAction(opts);
      const studentOnly = (['teacher', 'titles', 'maxQueries', 'queue'] as const).find(
        (key) => opts[key] !== undefined,
      );
      if (studentOnly !== undefined || opts.collection.length > 0) {
        throw new SiftError(
          'E_BAD_ARGUMENT',
          `--${studentOnly === undefined ? 'collection' : studentOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for --preset student, which learns from a teacher`,
          { field: studentOnly ?? 'collection' },
        );
      }
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

async function studentAction(opts: TrainOptions): Promise<void> {
  if (opts.teacher === undefined) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      '--preset student learns from a teacher: name one with --teacher <id>',
      {
        field: 'teacher',
      },
    );
  }
  for (const [flag, value] of [
    ['--labels', opts.labels.length > 0 ? 'set' : undefined],
    ['--loss', opts.loss],
    ['--target', opts.target],
    ['--max-steps', opts.maxSteps],
  ] as const) {
    if (value !== undefined) {
      throw new SiftError(
        'E_BAD_ARGUMENT',
        `${flag} is not for --preset student (its targets are the teacher's scores)`,
        {
          field: flag.slice(2),
        },
      );
    }
  }
  const target = await teacherQueue(opts);
  const id = opts.id ?? STUDENT_PRESET.id;
  const chunkFolder = join(siftPaths().home, 'train', id, 'teacher-chunks');
  const result = await trainStudent({
    teacher: opts.teacher,
    collections: opts.collection,
    id,
    ...(opts.from !== undefined ? { from: opts.from } : {}),
    ...(opts.titles !== undefined ? { titleQueries: opts.titles } : {}),
    ...(opts.maxQueries !== undefined ? { maxQueries: opts.maxQueries } : {}),
    ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
    ...(opts.learningRate !== undefined ? { learningRate: opts.learningRate } : {}),
    ...(target ? { scoreLists: queuedScorer(target, chunkFolder, opts) } : {}),
    quiet: opts.quiet,
  });
  // The scores are in the installed model now: the chunk files were only kept for a rerun.
  await rm(chunkFolder, { recursive: true, force: true });
  const { train, examples, card } = result;
  const best =
    train.bestDevNdcg10 !== undefined ? `, best dev nDCG@10 ${train.bestDevNdcg10.toFixed(4)}` : '';
  console.log(
    `${result.id}: distilled from ${opts.teacher} in ${train.steps} steps on ${examples.train} candidates of ${examples.queries} queries (${examples.dev} dev)${best}${train.resumed ? ', resumed' : ''}`,
  );
  console.log(`installed ${result.folder} (use --rerank ${result.id})`);
  if (opts.json) {
    await writeFileAtomic(opts.json, `${JSON.stringify(card, null, 2)}\n`);
    console.log(`wrote ${opts.json}`);
  }
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
