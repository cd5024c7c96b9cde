// Runs a training preset end to end: reads the label sets, holds back the dev queries, pulls the base
// model, trains (resumable: the run lives in $SIFT_HOME/train/<id>/<key of recipe and data>, and the
// same command continues it after a kill), and installs the best checkpoint as a trained model with a card saying how it was made.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { SiftError } from '../errors.js';
import { checkTrainedModelId, installTrainedModel, type TrainedModelCard } from '../models/index.js';
import { DecoderRanker, decoderRankerWeights, openRanker, rankerSpec } from '../rank/index.js';
import { sha256File, siftPaths } from '../util/index.js';
import { queryBatches } from './batches.js';
import { trainBiEncoder } from './bi-encoder-trainer.js';
import { type TrainLoss, type TrainResult, trainCrossEncoder } from './cross-encoder-trainer.js';
import { trainDecoderRanker } from './decoder-trainer.js';
import { devSplit } from './dev-split.js';
import { readTrainingJsonl, type TrainingExample } from './examples.js';
import { committedLabelSets, MIN_JUDGE_KAPPA, preset as presetNamed, type TrainTarget } from './presets.js';
import { startingCheckpoint } from './start-checkpoint.js';

export interface TrainPresetOptions {
  preset: string;
  /** The trained model's id (default: the preset's). */
  id?: string;
  /** Label files (training JSONL, .gz allowed); default the committed label sets. */
  labels?: readonly string[];
  /** Overrides for quick runs and experiments (recorded in the card). */
  epochs?: number;
  learningRate?: number;
  loss?: TrainLoss;
  target?: TrainTarget;
  maxSteps?: number;
  /**
   * Start from this installed trained model instead of the preset's base: a pruned model's recovery
   * fine-tune (the paper's SFT after pruning), or more training of an earlier model.
   */
  from?: string;
  home?: string;
  quiet?: boolean;
  /** After each optimizer step: the step, its loss and the run's most steps (see PairTrainOptions). */
  onStep?: (step: number, loss: number, totalSteps: number) => void;
}

export interface TrainPresetResult {
  id: string;
  folder: string;
  card: TrainedModelCard;
  train: TrainResult;
}

export async function trainPreset(options: TrainPresetOptions): Promise<TrainPresetResult> {
  const recipe = presetNamed(options.preset);
  const id = checkTrainedModelId(options.id ?? recipe.id);
  const home = options.home ?? siftPaths().home;
  // Committed sets teach only where their judge agrees with people (MIN_JUDGE_KAPPA); label files given
  // with --labels are the user's choice and are used as they are.
  const committed = options.labels?.length
    ? []
    : committedLabelSets().filter((set) => !recipe.labelSets || recipe.labelSets.includes(set.name));
  const excluded = committed
    .filter((set) => set.audit && set.audit.kappaLinear < MIN_JUDGE_KAPPA)
    .map((set) => ({
      name: set.name,
      kappaLinear: set.audit!.kappaLinear,
      pairs: set.audit!.pairs,
      why: `the judge's agreement with the human grades of these queries (kappa_linear ${set.audit!.kappaLinear.toFixed(3)} on ${set.audit!.pairs} pairs) is below ${MIN_JUDGE_KAPPA}`,
    }));
  const sources = options.labels?.length
    ? options.labels.map((file) => ({ name: file, file }))
    : committed.filter((set) => !excluded.some((e) => e.name === set.name));
  for (const e of excluded) if (!options.quiet) console.error(`not training on ${e.name}: ${e.why}`);
  if (sources.length === 0) {
    throw new SiftError(
      'E_TRAIN_DATA',
      `no committed label set passes its audit (kappa_linear ≥ ${MIN_JUDGE_KAPPA}): ${excluded.map((e) => e.why).join('; ')}`,
      { field: 'labels' },
    );
  }

  if (recipe.kind === 'bi-encoder' && options.target !== undefined && options.target !== 'grade') {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      'the bi-encoder preset splits positives from hard negatives on the calibrated grade: --target grade only',
      { field: 'target' },
    );
  }
  const target = options.target ?? recipe.target;
  const data: { name: string; file: string; sha256: string; examples: number; queries: number }[] = [];
  const all: TrainingExample[] = [];
  for (const source of sources) {
    const examples = withTarget(await readTrainingJsonl(source.file), target, source.file);
    // Query ids are only unique within a collection: key them by their set.
    for (const example of examples)
      all.push({ ...example, queryId: `${source.name}\u0000${example.queryId}` });
    data.push({
      name: source.name,
      file: source.file,
      sha256: await sha256File(source.file),
      examples: examples.length,
      queries: new Set(examples.map((e) => e.queryId)).size,
    });
  }
  const train = all.filter((e) => devSplit(e.queryId) === 'train');
  const dev = all.filter((e) => devSplit(e.queryId) === 'dev');
  if (train.length === 0) {
    throw new SiftError('E_TRAIN_DATA', 'every labelled query fell on the dev side: label more queries', {
      file: sources[0]!.file,
    });
  }

  if (recipe.kind === 'decoder-ranker' && options.from !== undefined) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      '--from starts a BERT-family preset from an installed model; the decoder preset starts from its base ranker',
      { field: 'from' },
    );
  }
  const base =
    recipe.kind === 'decoder-ranker'
      ? await decoderRankerWeights(recipe.base, { home, quiet: options.quiet ?? false })
      : await startingCheckpoint(options.from, recipe.base, { home, quiet: options.quiet ?? false });
  if (options.from === id) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      '--from must name another model than --id (the run replaces --id)',
      {
        field: 'from',
      },
    );
  }
  const startedFrom = options.from ?? recipe.base;
  const common = {
    id,
    preset: recipe.name,
    base: startedFrom,
    description: recipe.description,
    data: data.map(({ file, ...rest }) => ({ ...rest, file: file.split('/').pop() })),
    ...(excluded.length ? { excluded } : {}),
    examples: { train: train.length, dev: dev.length },
    target,
  };
  const runDirOf = (settings: object) =>
    // One run folder per recipe and data: the same command resumes it, new label sets start a new one.
    join(
      home,
      'train',
      id,
      createHash('sha256')
        .update(
          JSON.stringify({
            base: startedFrom,
            target,
            settings,
            maxSteps: options.maxSteps,
            data: data.map((d) => d.sha256),
          }),
        )
        .digest('hex')
        .slice(0, 16),
    );
  const describe = (result: TrainResult, settings: object, runDir: string) => ({
    settings: { ...settings, ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}) },
    steps: result.steps,
    stoppedEarly: result.stoppedEarly,
    checkpoint: result.bestCheckpoint.split('/').pop(),
    ...(result.bestDevNdcg10 !== undefined ? { bestDevNdcg10: result.bestDevNdcg10 } : {}),
    dev: result.dev,
    run: runDir,
  });

  let result: TrainResult;
  let card: TrainedModelCard;
  if (recipe.kind === 'bi-encoder') {
    if (options.loss !== undefined) {
      throw new SiftError(
        'E_BAD_ARGUMENT',
        'the bi-encoder preset has one loss (multiple-negatives ranking)',
        {
          field: 'loss',
        },
      );
    }
    const settings = {
      ...recipe.settings,
      ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
      ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
    };
    const runDir = runDirOf(settings);
    result = await trainBiEncoder({
      modelDir: base,
      outDir: runDir,
      train,
      ...(dev.length > 0 ? { dev } : {}),
      ...settings,
      ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
      quiet: options.quiet ?? false,
      ...(options.onStep ? { onStep: options.onStep } : {}),
    });
    card = {
      version: 1,
      kind: 'bi-encoder',
      createdAt: new Date().toISOString(),
      ...common,
      ...describe(result, settings, runDir),
    };
  } else if (recipe.kind === 'decoder-ranker') {
    const settings = {
      ...recipe.settings,
      ...pairOverrides(options, target),
    };
    const { maxDocumentTokens, ...trainSettings } = settings;
    const runDir = runDirOf(settings);
    const ranker = await openRanker(recipe.base, {
      home,
      quiet: options.quiet ?? false,
      tuning: { maxDocumentTokens },
    });
    try {
      if (!(ranker instanceof DecoderRanker))
        throw new SiftError('E_MODEL_KIND', `"${recipe.base}" is not a yes/no decoder ranker`, {
          field: 'base',
        });
      result = await trainDecoderRanker({
        base,
        outDir: runDir,
        train,
        ...(dev.length > 0 ? { dev } : {}),
        ...trainSettings,
        evalEvery: stepsPerEpoch(settings, train),
        ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
        // Training reads exactly the token sequences the ranker scores.
        promptTokens: (e) => [
          ...ranker.prefixTokens(e.query),
          ...ranker.itemTokens({ id: e.docId, title: e.title, text: e.text }),
        ],
        labelTokens: ranker.labelTokenIds,
        quiet: options.quiet ?? false,
        ...(options.onStep ? { onStep: options.onStep } : {}),
      });
    } finally {
      await ranker.release();
    }
    const spec = rankerSpec(recipe.base).spec;
    const labels = spec.kind === 'decoder-yes-no' ? spec.labels : undefined;
    card = {
      version: 1,
      kind: 'decoder-ranker',
      createdAt: new Date().toISOString(),
      ...common,
      // How the model is served: the base ranker's prompt, labels and document length.
      ranker: { template: spec.template, labels, maxDocumentTokens },
      ...describe(result, settings, runDir),
    };
  } else {
    const settings = {
      ...recipe.settings,
      ...pairOverrides(options, target),
    };
    const runDir = runDirOf(settings);
    result = await trainCrossEncoder({
      modelDir: base,
      outDir: runDir,
      train,
      ...(dev.length > 0 ? { dev } : {}),
      ...settings,
      evalEvery: stepsPerEpoch(settings, train),
      ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
      quiet: options.quiet ?? false,
      ...(options.onStep ? { onStep: options.onStep } : {}),
    });
    card = {
      version: 1,
      kind: 'cross-encoder',
      createdAt: new Date().toISOString(),
      ...common,
      ...describe(result, settings, runDir),
    };
  }
  const folder = await installTrainedModel(result.bestCheckpoint, card, home);
  return { id, folder, card, train: result };
}

/** The pair trainers' overrides from the command line, and the teacher's score for the target. */
function pairOverrides(options: TrainPresetOptions, target: TrainTarget) {
  return {
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
    ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
    ...(options.loss !== undefined ? { loss: options.loss } : {}),
    // The judge's p(yes) is a probability: its log-odds are the teacher's score (see teacherScores).
    teacherScores: target === 'p-yes' ? ('logit' as const) : ('grade' as const),
  };
}

/**
 * Optimizer steps in an epoch, for one dev evaluation an epoch: whole-query batches (listwise) hold one or
 * more whole queries, so an epoch is as many steps as the packing makes, not examples / batch size.
 */
function stepsPerEpoch(
  settings: { loss: TrainLoss; batchSize: number; seed: number },
  train: readonly TrainingExample[],
): number {
  return settings.loss === 'listwise'
    ? queryBatches(
        train.map((e) => e.queryId),
        settings.batchSize,
        settings.seed,
        0,
      ).length
    : Math.ceil(train.length / settings.batchSize);
}

/**
 * The examples with the chosen target in gradeNormalized (what the losses read) and, for p(yes), in
 * grade too: dev nDCG@10 then measures the judge's own order (linear gain, as trec_eval's).
 */
function withTarget(examples: TrainingExample[], target: TrainTarget, file: string): TrainingExample[] {
  if (target === 'grade') return examples;
  return examples.map((example, i) => {
    if (example.pYes === null) {
      throw new SiftError(
        'E_TRAIN_DATA',
        `example ${i + 1} (query ${example.queryId}, document ${example.docId}) has no scores.pYes; train on --target grade, or label with a scoring judge`,
        { file, field: 'scores.pYes' },
      );
    }
    return { ...example, gradeNormalized: example.pYes, grade: example.pYes };
  });
}
