// The recovery fine-tune after pruning (the paper's SFT after OSSCAR): the pruned cross-encoder is trained
// to reproduce the order of the model it was pruned from, on the first stage's candidates for the
// collections' training queries.
//
// The teacher is the unpruned model itself (self-distillation, as pruning work since Minitron does), not
// the labels the source was trained on: a source's training data may not be at hand (a bench-made
// self-supervised set, another machine's label files), while the source model always is, and what pruning
// lost is exactly the distance to it. The target is the listwise softmax of the teacher's logits over each
// query's candidates (Hinton et al.'s soft targets at temperature 1), the loss the students are trained
// with. Candidates are BM25's top hits, the kind of list the model reranks when it serves; the dev queries
// (a hashed share of the training split) get the same lists graded by their human judgments, which pick
// the best checkpoint. Test queries are never read.

import { join } from 'node:path';
import { SiftError } from '../errors.js';
import type { SiftIndex } from '../index/index.js';
import { querySplit } from '../ingest/index.js';
import {
  installedTrainedModel,
  installTrainedModel,
  readTrainedModel,
  type TrainedModelCard,
} from '../models/index.js';
import { loadCrossEncoder, type RankCandidate } from '../rank/index.js';
import { openCollection, openRetriever } from '../search/index.js';
import { devSplit, type TrainingExample, trainCrossEncoder } from '../train/index.js';
import { Mulberry32, ProgressBar, siftPaths } from '../util/index.js';

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

/** The teacher a scorer opens: its checkpoint folder, its id, and the length the student trains at. */
export interface TeacherRef {
  folder: string;
  id: string;
  maxLength: number;
}

/** Scores each list's candidates for its query (one score per candidate, lists in order). */
export type TeacherListScorer = (
  teacher: TeacherRef,
  lists: readonly { query: string; docs: readonly RankCandidate[] }[],
) => Promise<number[][]>;

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

  const started = performance.now();
  const taught: TaughtList[] = [];
  const dev: TrainingExample[] = [];
  for (const folder of options.collections) {
    const lists = await collectionLists(folder, {
      indexes: paths.indexes,
      candidates,
      maxQueries: options.maxQueries,
      titleQueries: options.titleQueries ?? 0,
      seed,
    });
    taught.push(...lists.taught);
    dev.push(...lists.dev);
  }
  if (taught.length === 0) {
    throw new SiftError('E_TRAIN_DATA', 'no training query had two or more BM25 candidates to distil on', {
      field: 'collections',
    });
  }
  const scoreLists = options.scoreLists ?? scoreListsHere(options.quiet ?? false);
  const scores = await scoreLists({ folder: teacherFolder, id: teacher, maxLength }, taught);
  if (scores.length !== taught.length || scores.some((row, i) => row.length !== taught[i]!.docs.length)) {
    throw new SiftError(
      'E_INTERNAL',
      'the teacher scorer returned scores that do not match the candidate lists',
    );
  }
  // The teacher's logit is the grade: the listwise target is its softmax over the candidates.
  const train: TrainingExample[] = taught.flatMap((list, i) =>
    list.docs.map((doc, j) => ({ ...exampleOf(list.queryId, list.query, doc), grade: scores[i]![j]! })),
  );
  const queries = taught.length;
  const teacherSeconds = (performance.now() - started) / 1000;

  const epochs = options.epochs ?? 1;
  const batchSize = 16;
  const stepsPerEpoch = Math.ceil(train.length / batchSize);
  const trainStarted = performance.now();
  const result = await trainCrossEncoder({
    modelDir: prunedFolder,
    outDir: join(
      home,
      'train',
      options.out,
      `recover-${teacher}-${candidates}-${epochs}-${learningRate}-q${options.maxQueries ?? 'all'}-t${options.titleQueries ?? 0}`,
    ),
    train,
    dev,
    loss: 'listwise',
    teacherScores: 'grade',
    epochs,
    batchSize,
    learningRate,
    warmupRatio: 0.1,
    decay: 'linear',
    weightDecay: 0.01,
    maxGradNorm: 1,
    maxLength,
    dropout: 0.1,
    seed,
    evalEvery: Math.max(1, Math.floor(stepsPerEpoch / 4)),
    patience: 3,
    quiet: options.quiet ?? false,
  });
  const trainSeconds = (performance.now() - trainStarted) / 1000;
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
      queries,
      examples: { train: train.length, dev: dev.length },
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
    examples: { train: train.length, dev: dev.length, queries },
    steps: result.steps,
    bestDevNdcg10: result.bestDevNdcg10,
    seconds: { teacher: teacherSeconds, train: trainSeconds },
  };
}

interface ListSettings {
  indexes: string;
  candidates: number;
  maxQueries: number | undefined;
  titleQueries: number;
  seed: number;
}

/** A taught query's BM25 candidates, before the teacher grades them. */
interface TaughtList {
  /** `<collection>:<query id>`: the dev split and the trainer group by it. */
  queryId: string;
  query: string;
  docs: RankCandidate[];
}

function exampleOf(queryId: string, query: string, doc: RankCandidate): Omit<TrainingExample, 'grade'> {
  return {
    queryId,
    docId: doc.id,
    query,
    title: doc.title,
    text: doc.text,
    gradeNormalized: 0,
    softLabel: null,
    pYes: null,
  };
}

/**
 * The teacher scoring lists in this process, one progress bar over them all (the default; the CLI
 * hands in a scorer that runs them on queue workers instead).
 */
function scoreListsHere(quiet: boolean): TeacherListScorer {
  return async (teacher, lists) => {
    const model = await loadCrossEncoder(teacher.folder, { id: teacher.id, maxLength: teacher.maxLength });
    const bar = new ProgressBar({
      label: `teacher ${teacher.id}`,
      total: lists.length,
      unit: 'queries',
      quiet,
    });
    try {
      const scores: number[][] = [];
      for (const list of lists) {
        scores.push(Array.from(await model.score(list.query, list.docs)));
        bar.tick();
      }
      return scores;
    } finally {
      bar.finish();
      await model.release();
    }
  };
}

/**
 * One collection's lists: BM25's candidates for its taught training queries (and titles), for the
 * teacher to grade, and for its dev queries graded by their judgments.
 */
async function collectionLists(
  folder: string,
  settings: ListSettings,
): Promise<{ taught: TaughtList[]; dev: TrainingExample[] }> {
  const taught: TaughtList[] = [];
  const dev: TrainingExample[] = [];
  const { collection, index } = await openCollection(folder, settings.indexes, true);
  const training = collection.queries.filter((q) => querySplit(q.id) === 'train');
  const trainShare = training.filter((q) => devSplit(q.id) === 'train');
  const judgedQueries =
    settings.maxQueries !== undefined ? trainShare.slice(0, settings.maxQueries) : trainShare;
  const chosen: { id: string; text: string; leaveOut?: string }[] = [
    ...judgedQueries,
    ...titleQueriesOf(index, settings.titleQueries, settings.seed),
  ];
  const { retriever, release } = await openRetriever(index, { mode: 'bm25', quiet: true });
  const candidatesFor = async (text: string): Promise<RankCandidate[]> =>
    (await retriever.search({ query: text, k: settings.candidates })).map((hit) => {
      const doc = index.docs.getById(hit.id)!;
      return { id: doc.id, title: doc.title, text: doc.text };
    });
  try {
    for (const query of chosen) {
      const docs = (await candidatesFor(query.text)).filter((doc) => doc.id !== query.leaveOut);
      if (docs.length < 2) continue;
      taught.push({ queryId: `${collection.name}:${query.id}`, query: query.text, docs });
    }
    // Dev lists are the same kind of list, graded by the human judgments (unjudged: 0): the checkpoint
    // kept is the one that orders BM25's candidates best for held-out training queries.
    for (const query of training.filter((q) => devSplit(q.id) === 'dev')) {
      const judged = collection.qrels.get(query.id);
      if (!judged) continue;
      const docs = await candidatesFor(query.text);
      if (!docs.some((doc) => (judged.get(doc.id) ?? 0) > 0)) continue;
      for (const doc of docs) {
        dev.push({
          ...exampleOf(`${collection.name}:${query.id}`, query.text, doc),
          grade: Math.max(0, judged.get(doc.id) ?? 0),
        });
      }
    }
  } finally {
    await release();
  }
  return { taught, dev };
}

/** `count` titles of 2+ words from the index, seeded, as queries that leave their own document out. */
function titleQueriesOf(
  index: SiftIndex,
  count: number,
  seed: number,
): { id: string; text: string; leaveOut: string }[] {
  if (count <= 0) return [];
  const ords = [...index.docs.liveOrdinals()].filter(
    (ord) => index.docs.get(ord).title.trim().split(/\s+/).length >= 2,
  );
  return new Mulberry32(seed)
    .shuffle(ords)
    .slice(0, count)
    .map((ord) => {
      const doc = index.docs.get(ord);
      return { id: `title:${doc.id}`, text: doc.title, leaveOut: doc.id };
    });
}
