// The recovery fine-tune after pruning (the paper's SFT after OSSCAR): the pruned cross-encoder is trained
// to reproduce the order of the model it was pruned from, on the first stage's candidates for the
// collections' training queries.
//
// The teacher is the unpruned model itself (self-distillation, as pruning work since Minitron does), not
// the labels the source was trained on: a source's training data may not be at hand (a bench-made
// self-supervised set, another machine's label files), while the source model always is, and what pruning
// lost is exactly the distance to it. The lists, targets and training are train/distil-lists.ts's, which
// the multi-stage students use too.

import { join } from 'node:path';
import { SiftError } from '../errors.js';
import {
  installedTrainedModel,
  installTrainedModel,
  readTrainedModel,
  type TrainedModelCard,
} from '../models/index.js';
import { distilOnLists, type TeacherListScorer } from '../train/index.js';
import { siftPaths } from '../util/index.js';

export interface RecoverOptions {
  /** The installed pruned model to fine-tune (a `sift prune` output). */
  pruned: string;
  /** Id the recovered model is installed under. */
  out: string;
  /** BEIR collection folders whose training queries give the candidates. */
  collections: readonly string[];
  /** The teacher (default: the model `pruned` was pruned from, as its card records). */
  teacher?: string;
  /** BM25 candidates per training query. Default 16. */
  candidates?: number;
  /** Training queries per collection, at most. Default: all. */
  maxQueries?: number;
  /**
   * Also teach on this many document titles per collection as queries (seeded sample of titles of 2+
   * words; the titled document itself is left out of its list). The teacher needs no labels, so the
   * corpus can give far more queries than its judged ones. Default 0.
   */
  titleQueries?: number;
  /** Default 1. */
  epochs?: number;
  /** Peak learning rate. Default: the source model's own, else the trainer's. */
  learningRate?: number;
  seed?: number;
  /**
   * Grades the taught lists with the teacher (default: in this process). The CLI's `--queue` hands in
   * one that runs them on `sift worker` processes.
   */
  scoreLists?: TeacherListScorer;
  home?: string;
  quiet?: boolean;
}

export interface RecoverResult {
  id: string;
  folder: string;
  card: TrainedModelCard;
  examples: { train: number; dev: number; queries: number };
  steps: number;
  bestDevNdcg10: number | undefined;
  seconds: { teacher: number; train: number };
}

export const DEFAULT_RECOVERY_CANDIDATES = 16;

export async function recoverPrunedModel(options: RecoverOptions): Promise<RecoverResult> {
  const paths = options.home ? siftPaths({ ...process.env, SIFT_HOME: options.home }) : siftPaths();
  const home = paths.home;
  const prunedFolder = installedTrainedModel(options.pruned, home);
  const prunedCard = prunedFolder ? await readTrainedModel(options.pruned, home) : undefined;
  if (!prunedFolder || !prunedCard) {
    throw new SiftError('E_MODEL_UNKNOWN', `no trained model "${options.pruned}" is installed to recover`, {
      field: 'pruned',
    });
  }
  const source = prunedCard['source'] as { id?: string } | undefined;
  const teacher = options.teacher ?? source?.id;
  if (!teacher) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      `${options.pruned} records no source model (it was not made by sift prune): name a teacher`,
      { field: 'teacher' },
    );
  }
  const teacherFolder = installedTrainedModel(teacher, home);
  if (!teacherFolder) {
    throw new SiftError('E_MODEL_UNKNOWN', `the teacher "${teacher}" is not installed`, { field: 'teacher' });
  }
  if (options.out === options.pruned || options.out === teacher) {
    throw new SiftError('E_BAD_ARGUMENT', 'the recovered model needs an id of its own', { field: 'out' });
  }
  const teacherCard = await readTrainedModel(teacher, home);
  const settings = (prunedCard['settings'] ?? {}) as { maxLength?: number; learningRate?: number };
  const teacherSettings = (teacherCard?.['settings'] ?? {}) as { learningRate?: number };
  const maxLength = settings.maxLength ?? 256;
  const learningRate = options.learningRate ?? teacherSettings.learningRate ?? settings.learningRate ?? 2e-5;
  const candidates = options.candidates ?? DEFAULT_RECOVERY_CANDIDATES;
  const seed = options.seed ?? 42;

  const epochs = options.epochs ?? 1;
  const run = await distilOnLists({
    studentDir: prunedFolder,
    outDir: join(
      home,
      'train',
      options.out,
      `recover-${teacher}-${candidates}-${epochs}-${learningRate}-q${options.maxQueries ?? 'all'}-t${options.titleQueries ?? 0}`,
    ),
    teacher: { folder: teacherFolder, id: teacher, maxLength },
    collections: options.collections,
    indexes: paths.indexes,
    candidates,
    ...(options.maxQueries !== undefined ? { maxQueries: options.maxQueries } : {}),
    titleQueries: options.titleQueries ?? 0,
    epochs,
    learningRate,
    seed,
    ...(options.scoreLists ? { scoreLists: options.scoreLists } : {}),
    quiet: options.quiet ?? false,
  });
  const result = run.train;
  const { examples } = run;
  const card: TrainedModelCard = {
    version: 1,
    id: options.out,
    kind: 'cross-encoder',
    preset: 'recovered',
    base: options.pruned,
    createdAt: new Date().toISOString(),
    description: `${options.pruned} after a recovery fine-tune: distilled from ${teacher}'s order of BM25's top ${candidates} for training queries`,
    settings: { ...settings, maxLength, learningRate, epochs },
    // Kept so that tools reading a pruned model's card (parameter counts, blocks) read this one the same way.
    pruning: prunedCard['pruning'],
    source: prunedCard['source'],
    recovery: {
      teacher,
      candidates,
      titleQueries: options.titleQueries ?? 0,
      collections: options.collections.map((dir) => dir.split('/').filter(Boolean).pop()),
      queries: examples.queries,
      examples: { train: examples.train, dev: examples.dev },
      steps: result.steps,
      bestDevNdcg10: result.bestDevNdcg10,
      dev: result.dev,
    },
  };
  const folder = await installTrainedModel(result.bestCheckpoint, card, home);
  return {
    id: options.out,
    folder,
    card,
    examples,
    steps: result.steps,
    bestDevNdcg10: result.bestDevNdcg10,
    seconds: run.seconds,
  };
}
