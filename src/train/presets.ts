// Training presets: named recipes that `sift train --preset <name>` runs. A preset fixes the base model,
// the data and every setting, each chosen on principle for any corpus (never tuned to a shown
// collection), so that the model it makes means the same thing wherever it is trained.
//
// 'default' trains sift's general-purpose cross-encoder, `sift-ce-minilm-l6`, from the judge label sets
// committed with sift (assets/labels: several collections and two policies, training queries only):
// - base: all-minilm-l6-v2's encoder (the only BERT weights obtainable here; no pretrained cross-encoder
//   is), with the similarity head (train/heads.ts): the scaled cosine of the query's and the document's
//   mean states from the one joint pass. A sentence embedder's base already ranks through it; a new
//   [CLS] classifier, as sentence-transformers' CrossEncoder starts one, is a random order until it has
//   learned from far more pairs than a judge labels on a CPU (DESIGN.md, "Students");
// - target: the judge's own p(yes) for "relevant under the policy", the paper's soft target (../shared/SYSTEM.md
//   §3), so the judge's uncertainty reaches the student; not the calibrated grade, which is refitted per
//   collection on few human labels and need not keep the judge's order (on the committed cranfield set
//   its AUC against the human labels is 0.38, p(yes)'s 0.68: bench/label-targets.ts);
// - loss: listwise softmax cross-entropy over each query's candidates: a ranker's job is the order within
//   a query, and a pointwise loss on a few hundred labels spends itself on each query's and collection's
//   level (the first pointwise run: dev loss 0.674 → 0.617 while dev nDCG@10 stayed at 0.845);
// - settings: the BERT fine-tuning recipe (Devlin et al. 2019; sentence-transformers' cross-encoder
//   defaults): AdamW at 2e-5, 10% linear warm-up then linear decay, weight decay 0.01, gradient norm 1,
//   batches of 16, BERT's own dropout 0.1 (the label sets are small);
// - length: 256 tokens per pair, what the ranker serves (long documents are cut on the document side);
// - stopping: at most 20 epochs, nDCG@10 on the dev queries (a fixed 20% hash of the training queries)
//   after each epoch, the best checkpoint kept, stopping after 3 epochs without improvement. Small label
//   sets need many more iterations than BERT's usual 2–4 epochs (Mosbach et al. 2021, "On the stability
//   of fine-tuning BERT": 20 epochs on small sets), and early stopping on dev keeps overfitting in check:
//   4 epochs over ~450 labels moved the dev loss in its fourth decimal.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SiftError } from '../errors.js';
import type { CrossEncoderHead } from './bert-model.js';
import type { TrainLoss } from './cross-encoder-trainer.js';
import type { Decay } from './schedule.js';

export type TrainTarget = 'grade' | 'p-yes';

/** What every preset names: the recipe, the model it makes, and the model it starts from. */
interface PresetBase {
  name: string;
  /** The trained model's registry id. */
  id: string;
  description: string;
  /** Registry id of the model to start from. */
  base: string;
  /** The committed label sets it trains on, by name (default: every set that passes its audit). */
  labelSets?: readonly string[];
}

/** The fine-tuning settings both trainers share. */
interface FineTuneSettings {
  epochs: number;
  learningRate: number;
  warmupRatio: number;
  weightDecay: number;
  maxGradNorm: number;
  maxLength: number;
  dropout: number;
  seed: number;
  /** Dev evaluations (one per epoch) without improvement before stopping. */
  patience: number;
}

export interface CrossEncoderPreset extends PresetBase {
  kind: 'cross-encoder';
  /**
   * What the student learns from each label: 'grade', the calibrated normalised grade; 'p-yes', the
   * judge's own p(yes) (uncalibrated).
   */
  target: TrainTarget;
  settings: FineTuneSettings & {
    loss: TrainLoss;
    batchSize: number;
    decay: Decay;
    /** The head put on a base that has none (a checkpoint's own is kept). */
    head: CrossEncoderHead;
  };
}

export interface BiEncoderPreset extends PresetBase {
  kind: 'bi-encoder';
  /** Positives and hard negatives are split on the calibrated grade (base: a BERT with mean pooling). */
  target: 'grade';
  settings: FineTuneSettings & {
    /** A document is a positive when its calibrated grade is above this. */
    positiveAbove: number;
    positivesPerQuery: number;
    negativesPerQuery: number;
    queriesPerBatch: number;
    scale: number;
  };
}

export interface DecoderRankerPreset extends PresetBase {
  kind: 'decoder-ranker';
  /** `base` is a registry ranker of kind decoder-yes-no: its model, prompt template and labels. */
  target: TrainTarget;
  settings: Omit<FineTuneSettings, 'maxLength' | 'dropout'> & {
    loss: TrainLoss;
    batchSize: number;
    decay: Decay;
    /** Longest document part of a prompt in tokens (title, separator and text); the ranker serves at it too. */
    maxDocumentTokens: number;
  };
}

export type TrainingPreset = CrossEncoderPreset | BiEncoderPreset | DecoderRankerPreset;

const DEFAULT_CROSS_ENCODER: CrossEncoderPreset = {
  kind: 'cross-encoder',
  name: 'default',
  id: 'sift-ce-minilm-l6',
  description: "sift's general-purpose cross-encoder, distilled from the committed judge label sets",
  base: 'all-minilm-l6-v2',
  target: 'p-yes',
  settings: {
    head: 'similarity',
    loss: 'listwise',
    epochs: 20,
    batchSize: 16,
    learningRate: 2e-5,
    warmupRatio: 0.1,
    decay: 'linear',
    weightDecay: 0.01,
    maxGradNorm: 1,
    maxLength: 256,
    dropout: 0.1,
    seed: 42,
    patience: 3,
  },
};

const PRESETS: readonly TrainingPreset[] = [
  DEFAULT_CROSS_ENCODER,
  // 'demo' is the default recipe on the demo's own corpus alone: the committed job label set, made on the
  // synthetic job postings that `sift serve` shows when no index is named. sift serve trains it in the
  // background on its first start and makes it the demo's default reranker (src/serve/demo-reranker.ts);
  // `sift train --preset demo` is the same run.
  {
    ...DEFAULT_CROSS_ENCODER,
    name: 'demo',
    id: 'sift-ce-jobs',
    description:
      "the demo job corpus's reranker: the default cross-encoder recipe on the committed job label set",
    labelSets: ['jobs'],
  },
  // 'bi-encoder' fine-tunes the default embedder on the same label sets, LinkedIn's recipe for its
  // retrieval model (../shared/SYSTEM.md §1): per query 2 judge positives (calibrated grade > 1) and 3 hard negatives
  // (grade ≤ 1), multiple-negatives ranking over batches of 8 queries at sentence-transformers' scale 20,
  // AdamW at 2e-5 with 10% warm-up (sentence-transformers' fine-tuning defaults), BERT's dropout 0.1, the
  // embedder's own 256 tokens. At most 4 epochs (fine-tuning a trained embedder takes 1–4 in
  // sentence-transformers' examples), each followed by dev nDCG@10, where the starting model is the bar.
  {
    kind: 'bi-encoder',
    name: 'bi-encoder',
    id: 'sift-bi-minilm-l6',
    description:
      "sift's embedder fine-tuned on the committed judge label sets (positives and hard negatives)",
    base: 'all-minilm-l6-v2',
    target: 'grade',
    settings: {
      positiveAbove: 1,
      positivesPerQuery: 2,
      negativesPerQuery: 3,
      queriesPerBatch: 8,
      scale: 20,
      epochs: 4,
      learningRate: 2e-5,
      warmupRatio: 0.1,
      weightDecay: 0.01,
      maxGradNorm: 1,
      maxLength: 256,
      dropout: 0.1,
      seed: 42,
      patience: 2,
    },
  },
  {
    // The paper's student form: a small decoder asked whether the document is relevant, its score
    // p(yes) at the last token, distilled from the judge's own p(yes) (soft targets). The base ranker's
    // prompt stays, so step 0 is the untrained yes/no ranker and training only sharpens its answer.
    kind: 'decoder-ranker',
    name: 'decoder',
    id: 'sift-yesno-smollm2-135m',
    description:
      "SmolLM2-135M-Instruct as a yes/no ranker, distilled from the judge's p(yes) on the committed label sets",
    base: 'smollm2-135m-yesno',
    target: 'p-yes',
    settings: {
      loss: 'listwise',
      // One pass: a step costs about 20× a MiniLM-L6 step (135M against 22M parameters at similar
      // lengths), so one epoch over the committed sets is already about an hour on two cores.
      epochs: 1,
      batchSize: 8,
      // 1e-5: full fine-tuning of a 135M decoder with AdamW; 5e-5 made the first steps diverge on the
      // engine test's pairs (BCE 0.82 → 3.42), as Adam's first update moves every weight by ~lr.
      learningRate: 1e-5,
      warmupRatio: 0.1,
      decay: 'linear',
      weightDecay: 0.01,
      maxGradNorm: 1,
      // The job postings' and abstracts' openings; the prompt's prefix adds about 60 tokens.
      maxDocumentTokens: 128,
      seed: 42,
      patience: 2,
    },
  },
];

export function presetNames(): string[] {
  return PRESETS.map((p) => p.name);
}

export function preset(name: string): TrainingPreset {
  const found = PRESETS.find((p) => p.name === name);
  if (!found) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      `unknown preset "${name}" (available: ${presetNames().join(', ')})`,
      {
        field: 'preset',
      },
    );
  }
  return found;
}

/** The committed label sets' folder (assets/labels beside dist/ in the package). */
export function labelSetsDir(): string {
  return fileURLToPath(new URL('../../../assets/labels/', import.meta.url));
}

/**
 * The least agreement with people (linear-weighted Cohen's kappa against the human grades of the same
 * training queries) at which a committed label set teaches the presets: the judge issue's bar for a usable
 * judge. Where the judge does not agree with people, its labels teach the student the judge's
 * misunderstanding (on cranfield, kappa 0.08: fine-tuning the embedder on them lowered dense nDCG@10 there
 * from 0.385 to 0.340 on its test queries, bench/results/distill-bi-encoder-ungated.json).
 */
export const MIN_JUDGE_KAPPA = 0.25;

export interface CommittedLabelSet {
  name: string;
  file: string;
  /** The set's audit against the human grades of its queries, when the manifest has one. */
  audit?: { pairs: number; kappaLinear: number };
}

/** The committed label set files named by assets/labels/manifest.json, in its order. */
export function committedLabelSets(): CommittedLabelSet[] {
  const dir = labelSetsDir();
  const manifestFile = `${dir}manifest.json`;
  let manifest: {
    sets?: Record<string, { file?: unknown; audit?: { pairs?: unknown; kappa_linear?: unknown } }>;
  };
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as typeof manifest;
  } catch (error) {
    throw new SiftError('E_TRAIN_DATA', `cannot read the label sets' manifest: ${String(error)}`, {
      file: manifestFile,
    });
  }
  const sets = Object.entries(manifest.sets ?? {});
  if (sets.length === 0)
    throw new SiftError('E_TRAIN_DATA', 'the manifest lists no label sets', { file: manifestFile });
  return sets.map(([name, set]) => {
    if (typeof set.file !== 'string' || set.file.includes('/')) {
      throw new SiftError('E_TRAIN_DATA', `set "${name}" has no file name`, {
        file: manifestFile,
        field: 'file',
      });
    }
    const { pairs, kappa_linear: kappa } = set.audit ?? {};
    return {
      name,
      file: `${dir}${set.file}`,
      ...(typeof pairs === 'number' && typeof kappa === 'number'
        ? { audit: { pairs, kappaLinear: kappa } }
        : {}),
    };
  });
}
