// The training loop every (query, document) → score model shares: length-bucketed batches, or batches of
// whole queries for the listwise loss, gradient accumulation, global-norm clipping, AdamW with warm-up and
// linear or cosine decay, dev evaluation every N steps with early stopping, a progress bar (loss,
// examples/s, ETA), and checkpoints that resume exactly. What differs between model families (how a pair
// becomes tokens, how the model is built from a base or a checkpoint, its config.json) is the caller's
// `PairModelKit`: the BERT cross-encoder (cross-encoder-trainer.ts) and the yes/no decoder
// (decoder-trainer.ts).
//
// Resuming: every checkpoint holds the weights, AdamW's moments, the dropout RNG and the data position
// (epoch, next batch; an epoch's batches are a function of seed and epoch). A run started again with the
// same options and data continues from LATEST and ends with the same weights as a run never interrupted
// (tested with kill -9). A NaN or infinite loss stops the run before the bad update, keeping the last
// good checkpoint (E_TRAIN_DIVERGED says which).

import { createHash } from 'node:crypto';
import { SiftError } from '../errors.js';
import { Mulberry32, ProgressBar } from '../util/index.js';
import { AdamW } from './adamw.js';
import { type EncodedPair, epochBatches, queryBatches, queryGroups, tokenBatch } from './batches.js';
import { type CheckpointIo, loadOptimizer, startOrResume } from './checkpoint.js';
import type { TokenBatch } from './embeddings.js';
import { evaluateDev } from './evaluate.js';
import type { TrainingExample } from './examples.js';
import { bceWithLogits, klDivergence, type LossResult, listwiseSoftmaxCe } from './losses.js';
import { applyOptimizerStep, type OptimizerStepContext } from './optimizer-step.js';
import type { Module, Parameter } from './parameter.js';
import { RunBook, type TrainResult } from './run-book.js';
import type { Decay } from './schedule.js';
import { logOdds, softmaxWithin, softTarget } from './targets.js';

export type { TrainResult };

/**
 * Pointwise losses. 'bce': binary cross-entropy on grade_normalized. 'kl': KL(p ‖ q) on soft labels —
 * with one logit p is grade_normalized; with `labels` = C logits p is the judge's soft_label over C grades
 * (examples without one fall back to a one-hot of their grade).
 */
export type PointwiseLoss = 'bce' | 'kl';

/**
 * 'listwise': softmax cross-entropy over each query's candidates (ListNet's top-one form, Cao et al.
 * 2007), the target distribution being the softmax of the teacher's scores over the same candidates
 * (`teacherScores`). Batches hold whole queries. It learns only the order within a query, never a
 * query's or a collection's level, which pointwise losses on small label sets spend most of their
 * capacity on.
 */
export type TrainLoss = PointwiseLoss | 'listwise';

export interface PairTrainOptions {
  /** Where checkpoints go (outDir/checkpoints/step-*, outDir/LATEST). An existing run there is resumed. */
  outDir: string;
  train: readonly TrainingExample[];
  dev?: readonly TrainingExample[];
  loss?: TrainLoss;
  /** Output logits. Default 1 (a relevance score, sentence-transformers CrossEncoder style). */
  labels?: number;
  /**
   * The teacher's score of each example for the listwise loss, softmaxed over a query's candidates
   * into the target: 'grade' (ListNet's exp(label)), or 'logit' of gradeNormalized, for a probability
   * such as the judge's p(yes): its log-odds are the teacher's logit, as in distillation with soft
   * targets (Hinton et al. 2015). Dividing probabilities by their sum instead leaves an almost flat
   * target (normalised entropy 0.98–0.99 on the committed label sets' p(yes)). Default 'grade'.
   */
  teacherScores?: 'grade' | 'logit';
  /** Default 1. */
  epochs?: number;
  /** Stop after this many optimizer steps (default: all epochs). */
  maxSteps?: number;
  /** Examples per micro-batch. Default 16. */
  batchSize?: number;
  /** Micro-batches per optimizer step. Default 1. */
  accumulation?: number;
  /** Peak learning rate. Default 2e-5. */
  learningRate?: number;
  /**
   * Peak learning rate of the parameters the model initialised itself (a new classifier, a new pooler),
   * on the same schedule. Default: `learningRate`. A new head has no pretrained features to preserve, so
   * the small rate that protects the encoder need not hold it back.
   */
  headLearningRate?: number;
  /** Fraction of the steps spent warming up linearly from 0. Default 0.1. */
  warmupRatio?: number;
  /** Decay after warm-up. Default 'linear'. */
  decay?: Decay;
  /** AdamW's decoupled weight decay. Default 0.01. */
  weightDecay?: number;
  /** Global gradient-norm clip. Default 1. */
  maxGradNorm?: number;
  /** Longest pair in tokens, special tokens included. Default 256. */
  maxLength?: number;
  /** Dropout probability at BERT's sites. Default 0 (off). */
  dropout?: number;
  /** Seeds the head's initialisation, the batch order and dropout. Default 42. */
  seed?: number;
  /** Evaluate on dev every N optimizer steps (0: only at the end). Default 0. */
  evalEvery?: number;
  /** Stop after this many evaluations in a row without a better dev nDCG@10. Default 3. */
  patience?: number;
  /** Checkpoint every N optimizer steps (and always at the end). Default 100. */
  checkpointEvery?: number;
  /** Checkpoints kept besides the best. Default 2. */
  keepCheckpoints?: number;
  /** No progress bar. */
  quiet?: boolean;
  /**
   * Called after each optimizer step with the steps the run will take at most (early stopping can end it
   * sooner): progress for a caller without the progress bar (sift serve's demo training), and tests crash
   * on purpose in it.
   */
  onStep?: (step: number, loss: number, totalSteps: number) => void;
  /** Checkpoint writer (tests simulate a full disk). */
  io?: CheckpointIo;
}

/** A model that scores token batches: logits [batch, labels]. */
export interface PairScorer extends Module {
  forward(tokens: TokenBatch): Float32Array;
  /** Accumulates every parameter's gradient from dLoss/dlogits. */
  backward(dLogits: Float32Array): void;
  /** Parameters initialised by the model rather than read from its checkpoint (a new head). */
  readonly newParameters?: readonly Parameter[];
}

/** The options with their defaults filled in (what the fingerprint and the kit see). */
export type ResolvedPairOptions = ReturnType<typeof resolvePairOptions>;

/** What the loop needs from a model family. */
export interface PairModelKit {
  /** Names the starting model in the run's fingerprint. */
  modelKey: string;
  /** The pairs as the model reads them, in the examples' order. */
  encode(examples: readonly TrainingExample[]): EncodedPair[];
  /**
   * The model: from `resumeFrom`'s weights when resuming, else from the starting model. `dropoutRng`
   * gives the generator while training and undefined while evaluating.
   */
  build(resumeFrom: string | undefined, dropoutRng: () => Mulberry32 | undefined): Promise<PairScorer>;
  /** config.json of every checkpoint. */
  config: string;
  /** The folder the checkpoints' tokenizer files come from. */
  tokenizerDir: string;
}

export function resolvePairOptions(options: PairTrainOptions) {
  return {
    loss: options.loss ?? 'bce',
    labels: options.labels ?? 1,
    teacherScores: options.teacherScores ?? 'grade',
    epochs: options.epochs ?? 1,
    batchSize: options.batchSize ?? 16,
    accumulation: options.accumulation ?? 1,
    learningRate: options.learningRate ?? 2e-5,
    // Undefined (and so absent from the run's fingerprint) unless given: earlier runs still resume.
    headLearningRate: options.headLearningRate,
    warmupRatio: options.warmupRatio ?? 0.1,
    decay: options.decay ?? 'linear',
    weightDecay: options.weightDecay ?? 0.01,
    maxGradNorm: options.maxGradNorm ?? 1,
    maxLength: options.maxLength ?? 256,
    dropout: options.dropout ?? 0,
    seed: options.seed ?? 42,
    evalEvery: options.evalEvery ?? 0,
    patience: options.patience ?? 3,
    checkpointEvery: options.checkpointEvery ?? 100,
    keep: options.keepCheckpoints ?? 2,
  };
}

export async function trainPairScorer(
  options: PairTrainOptions,
  makeKit: (o: ResolvedPairOptions) => Promise<PairModelKit>,
): Promise<TrainResult> {
  if (options.train.length === 0) throw new SiftError('E_TRAIN_DATA', 'no training examples');
  const o = resolvePairOptions(options);
  const kit = await makeKit(o);
  const train = kit.encode(options.train);
  const dev = options.dev?.length ? kit.encode(options.dev) : undefined;
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify({
        o: { ...o, keep: undefined },
        model: kit.modelKey,
        train: train.map((p) => [...p.ids]),
      }),
    )
    .update(JSON.stringify(options.train.map((e) => [e.gradeNormalized, e.softLabel, e.grade])))
    .digest('hex');

  // Start fresh, or continue from LATEST.
  const { state, adamStep, resumeFrom } = await startOrResume(options.outDir, fingerprint, o.seed);
  const dropoutRng = new Mulberry32(state.rng);
  let training = true;
  const model = await kit.build(resumeFrom, () => (training ? dropoutRng : undefined));
  const params = model.parameters();
  const fresh = new Set(model.newParameters ?? []);
  const headScale = (o.headLearningRate ?? o.learningRate) / o.learningRate;
  const adam = new AdamW(params, {
    weightDecay: o.weightDecay,
    learningRateScale: (p) => (fresh.has(p) ? headScale : 1),
  });
  if (resumeFrom) await loadOptimizer(resumeFrom, adam, adamStep);

  const lossOf =
    (examples: readonly TrainingExample[]) =>
    (logits: Float32Array, rows: readonly number[]): LossResult => {
      if (o.loss === 'listwise') {
        if (o.labels !== 1)
          throw new SiftError('E_BAD_ARGUMENT', 'the listwise loss needs labels = 1', { field: 'loss' });
        const groups = queryGroups(rows, (r) => examples[r]!.queryId);
        const teacher = rows.map((r) =>
          o.teacherScores === 'logit' ? logOdds(examples[r]!.gradeNormalized) : examples[r]!.grade,
        );
        return listwiseSoftmaxCe(logits, softmaxWithin(teacher, groups), groups);
      }
      if (o.loss === 'bce') {
        if (o.labels !== 1)
          throw new SiftError('E_BAD_ARGUMENT', 'the bce loss needs labels = 1', { field: 'loss' });
        return bceWithLogits(
          logits,
          rows.map((r) => examples[r]!.gradeNormalized),
        );
      }
      if (o.labels === 1)
        return klDivergence(
          logits,
          rows.map((r) => examples[r]!.gradeNormalized),
          1,
        );
      const targets = rows.flatMap((r) => softTarget(examples[r]!, o.labels));
      return klDivergence(logits, targets, o.labels);
    };
  const trainLoss = lossOf(options.train);
  const devLoss = options.dev ? lossOf(options.dev) : undefined;

  const batchesOf = (epoch: number): number[][] =>
    o.loss === 'listwise'
      ? queryBatches(
          options.train.map((e) => e.queryId),
          o.batchSize,
          o.seed,
          epoch,
        )
      : epochBatches(
          train.map((p) => p.ids.length),
          o.batchSize,
          o.seed,
          epoch,
        );
  const batchesPerEpoch = batchesOf(0).length;
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / o.accumulation);
  const totalSteps = Math.min(options.maxSteps ?? Number.POSITIVE_INFINITY, stepsPerEpoch * o.epochs);
  const warmupSteps = Math.round(o.warmupRatio * totalSteps);
  const schedule = { peak: o.learningRate, warmupSteps, totalSteps, decay: o.decay };

  const book = new RunBook({
    outDir: options.outDir,
    state,
    resumeFrom,
    dropoutRng,
    content: { params, adam, config: kit.config, tokenizerDir: kit.tokenizerDir },
    keep: o.keep,
    patience: o.patience,
    ...(options.io ? { io: options.io } : {}),
  });
  const evaluate = async (): Promise<boolean> => {
    if (!dev || !options.dev || !devLoss) return false;
    training = false;
    const result = evaluateDev(model, options.dev, dev, (l, r) => devLoss(l, r).loss, o.batchSize, {
      wholeQueries: o.loss === 'listwise',
    });
    training = true;
    return book.recordEvaluation(result);
  };

  // Examples in the first `steps` optimizer steps: whole-query batches hold more or fewer than batchSize.
  const examplesIn = (steps: number): number => {
    let n = 0;
    for (let epoch = 0, done = 0; epoch < o.epochs && done < steps; epoch++) {
      const batches = batchesOf(epoch);
      for (let at = 0; at < batches.length && done < steps; at += o.accumulation, done++)
        for (const rows of batches.slice(at, at + o.accumulation)) n += rows.length;
    }
    return n;
  };
  const progress = new ProgressBar({
    label: 'train',
    total: examplesIn(totalSteps),
    unit: 'examples',
    quiet: options.quiet ?? false,
  });
  progress.tick(examplesIn(state.step));
  const stepContext: OptimizerStepContext = {
    book,
    params,
    adam,
    maxGradNorm: o.maxGradNorm,
    schedule,
    progress,
    divergenceHint: ' (lower the learning rate or check the labels)',
    ...(options.onStep ? { onStep: options.onStep } : {}),
  };
  let lastEvaluated = -1;
  outer: for (; state.epoch < o.epochs && state.step < totalSteps; state.epoch++, state.batchInEpoch = 0) {
    const batches = batchesOf(state.epoch);
    while (state.batchInEpoch < batches.length && state.step < totalSteps) {
      const group = batches.slice(state.batchInEpoch, state.batchInEpoch + o.accumulation);
      let stepLoss = 0;
      let examples = 0;
      for (const rows of group) {
        const logits = model.forward(tokenBatch(train, rows));
        const { loss, grad } = trainLoss(logits, rows);
        stepLoss += loss / group.length;
        examples += rows.length;
        if (!Number.isFinite(loss)) break;
        for (let i = 0; i < grad.length; i++) grad[i]! /= group.length;
        model.backward(grad);
      }
      applyOptimizerStep(stepContext, stepLoss, group.length, examples);
      if (o.evalEvery > 0 && state.step % o.evalEvery === 0) {
        lastEvaluated = state.step;
        if (await evaluate()) {
          book.stoppedEarly = true;
          break outer;
        }
      }
      if (o.checkpointEvery > 0 && state.step % o.checkpointEvery === 0 && !book.checkpointed)
        await book.checkpoint();
    }
  }
  if (lastEvaluated !== state.step && dev && !book.stoppedEarly) await evaluate();
  if (!book.checkpointed) await book.checkpoint();
  progress.finish(book.summary());
  return book.result();
}
