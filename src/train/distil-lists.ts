// Distillation on candidate lists: a cross-encoder student learns a teacher cross-encoder's order of the
// first stage's candidates for the collections' training queries (and, optionally, corpus titles as
// extra queries), with the listwise softmax of the teacher's logits as its target (Hinton et al.'s soft
// targets at temperature 1; or of their z-scores within each list, see `targets`). Two steps use it: the recovery fine-tune after pruning (the teacher is the
// unpruned model) and the multi-stage students (`sift train --preset student`: a smaller model learns
// a trained cross-encoder's scores over many more pairs than any judge labelled, since a teacher's
// scoring is cheap and needs no labels).
//
// Candidates are BM25's top hits, the kind of list the model reranks when it serves. The dev queries (a
// hashed share of the training split) get the same lists graded by their human judgments, which pick the
// best checkpoint. Test queries are never read. The teacher's scoring is a step of its own behind
// `scoreLists`: in process by default, on `sift worker` processes when the CLI hands in the queue's.

import { SiftError } from '../errors.js';
import type { SiftIndex } from '../index/index.js';
import { querySplit } from '../ingest/index.js';
import { loadCrossEncoder, type RankCandidate } from '../rank/index.js';
import { openCollection, openRetriever } from '../search/index.js';
import { Mulberry32, ProgressBar } from '../util/index.js';
import { queryBatches } from './batches.js';
import { type TrainResult, trainCrossEncoder } from './cross-encoder-trainer.js';
import { devSplit } from './dev-split.js';
import type { TrainingExample } from './examples.js';

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

export interface DistilOnListsOptions {
  /** The student's starting checkpoint folder (a trained cross-encoder, or an encoder for a new head). */
  studentDir: string;
  /** The run folder (resumable: the same folder continues a killed run). */
  outDir: string;
  teacher: TeacherRef;
  /** BEIR collection folders whose training queries give the lists. */
  collections: readonly string[];
  /** Where the collections' indexes are built or found. */
  indexes: string;
  /** BM25 candidates per query. */
  candidates: number;
  /** Training queries per collection, at most. Default: all. */
  maxQueries?: number;
  /**
   * Also teach on this many document titles per collection as queries (seeded sample of titles of 2+
   * words; the titled document itself is left out of its list). The teacher needs no labels, so the
   * corpus can give far more queries than its judged ones. Default 0.
   */
  titleQueries?: number;
  epochs: number;
  learningRate: number;
  seed: number;
  /** Grades the lists with the teacher (default: in this process). */
  scoreLists?: TeacherListScorer;
  /**
   * 'logits' (default): the target is the softmax of the teacher's logits, its own confidence. A student
   * that starts as the teacher (the recovery fine-tune) shares its scale. 'standardised': the logits
   * are z-scored within each list first, so the target carries the teacher's order at one sharpness
   * whatever its scale: a student with a new head learns from it even where the teacher's logits are
   * nearly flat (a self-supervised teacher's spread within BM25 lists was 0.02–0.2, whose softmax over
   * 16 candidates is all but uniform: a loss of ln 16 with nothing to follow).
   */
  targets?: 'logits' | 'standardised';
  quiet?: boolean;
}

export interface DistilOnListsResult {
  train: TrainResult;
  examples: { train: number; dev: number; queries: number };
  seconds: { teacher: number; train: number };
}

export async function distilOnLists(options: DistilOnListsOptions): Promise<DistilOnListsResult> {
  const started = performance.now();
  const taught: TaughtList[] = [];
  const dev: TrainingExample[] = [];
  for (const folder of options.collections) {
    const lists = await collectionLists(folder, {
      indexes: options.indexes,
      candidates: options.candidates,
      maxQueries: options.maxQueries,
      titleQueries: options.titleQueries ?? 0,
      seed: options.seed,
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
  const scores = await scoreLists(options.teacher, taught);
  if (scores.length !== taught.length || scores.some((row, i) => row.length !== taught[i]!.docs.length)) {
    throw new SiftError(
      'E_INTERNAL',
      'the teacher scorer returned scores that do not match the candidate lists',
    );
  }
  // The teacher's logit (or its z-score within the list) is the grade: the listwise target is its
  // softmax over the candidates.
  const graded = options.targets === 'standardised' ? scores.map(standardise) : scores;
  const train: TrainingExample[] = taught.flatMap((list, i) =>
    list.docs.map((doc, j) => ({ ...exampleOf(list.queryId, list.query, doc), grade: graded[i]![j]! })),
  );
  const teacherSeconds = (performance.now() - started) / 1000;

  const batchSize = 16;
  const seed = options.seed;
  // Listwise batches hold whole queries: an epoch is as many steps as the packing makes (as train-preset.ts).
  const stepsPerEpoch = queryBatches(
    train.map((e) => e.queryId),
    batchSize,
    seed,
    0,
  ).length;
  const trainStarted = performance.now();
  const result = await trainCrossEncoder({
    modelDir: options.studentDir,
    // A sentence-embedder student starts ranking through its own mean states (SimilarityHead).
    head: 'similarity',
    outDir: options.outDir,
    train,
    dev,
    loss: 'listwise',
    teacherScores: 'grade',
    epochs: options.epochs,
    batchSize,
    learningRate: options.learningRate,
    warmupRatio: 0.1,
    decay: 'linear',
    weightDecay: 0.01,
    maxGradNorm: 1,
    maxLength: options.teacher.maxLength,
    dropout: 0.1,
    seed: options.seed,
    evalEvery: Math.max(1, Math.floor(stepsPerEpoch / 4)),
    patience: 3,
    quiet: options.quiet ?? false,
  });
  return {
    train: result,
    examples: { train: train.length, dev: dev.length, queries: taught.length },
    seconds: { teacher: teacherSeconds, train: (performance.now() - trainStarted) / 1000 },
  };
}

interface ListSettings {
  indexes: string;
  candidates: number;
  maxQueries: number | undefined;
  titleQueries: number;
  seed: number;
}

/** Scores as z-scores within their list (a flat list stays flat: all zeros). */
export function standardise(row: readonly number[]): number[] {
  const mean = row.reduce((sum, x) => sum + x, 0) / row.length;
  const sd = Math.sqrt(row.reduce((sum, x) => sum + (x - mean) ** 2, 0) / row.length);
  return row.map((x) => (sd > 1e-9 ? (x - mean) / sd : 0));
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
