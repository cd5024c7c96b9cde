// Trains an embedding-token ranker's item adapter (MixLM's recipe, sift's form): the yes/no decoder is
// frozen, and the adapter learns to turn an item's stored embedding into the one input vector from which
// the decoder answers as it does when it reads the item's full text. Two signals, both from the same
// decoder reading the full text (the teacher costs no labels):
//   - distillation: per query, the listwise softmax cross-entropy of the student's scores against the
//     softmax of the teacher's scores (z_yes − z_no) over the query's candidates, standardised within the
//     list by default (as distil-lists.ts does, for the same reason: the student needs the teacher's order,
//     and a student decoder's scores within hybrid's top 8 can be so close that their softmax is all but
//     uniform and teaches nothing); reported as the KL divergence, the part that training can remove;
//   - alignment: the final-normed hidden state at the prompt's last position, ‖g − h‖² / ‖h‖² summed over
//     the batch, so the student reaches the teacher's answer through the teacher's own state.
// The teacher's scores and hidden states are computed once, before training; the decoder's weights get
// no gradient (frozen), only the gradient to its input vectors, which flows on into the adapter.

import { Mulberry32, ProgressBar } from '../util/index.js';
import { AdamW } from './adamw.js';
import { clipGradNorm } from './clip.js';
import type { DecoderBatch, YesNoDecoder } from './decoder-model.js';
import { standardise } from './distil-lists.js';
import { ItemAdapter } from './item-adapter.js';
import { listwiseSoftmaxCe } from './losses.js';
import { learningRate } from './schedule.js';

/** One query's candidates as the two rankers read them. */
export interface EmbeddingTokenList {
  /** The prompt's prefix (instructions and query), shared by every item. */
  prefix: readonly number[];
  items: readonly {
    /** The item's full-text part of the prompt (title, text, suffix): the teacher's input. */
    textTokens: readonly number[];
    /** The item's stored embedding: the adapter's input. */
    vector: Float32Array;
  }[];
}

export interface EmbeddingTokenTrainOptions {
  decoder: YesNoDecoder;
  /** Tokens after the item's vector: the prompt's suffix. */
  suffix: readonly number[];
  lists: readonly EmbeddingTokenList[];
  /** Default 2. */
  epochs?: number;
  /** Queries per optimizer step. Default 2. */
  listsPerStep?: number;
  /** Peak learning rate (AdamW, 10% warm-up, linear decay). Default 1e-3: a new module, trained alone. */
  learningRate?: number;
  /** Weight of the alignment loss. Default 1. */
  alignWeight?: number;
  /** 'standardised' (default): the teacher's scores z-scored within each list; 'logits': as they are. */
  targets?: 'logits' | 'standardised';
  /** The adapter's hidden width. Default: the decoder's hidden size. */
  adapterHidden?: number;
  seed?: number;
  quiet?: boolean;
  onStep?: (step: number, loss: number, totalSteps: number) => void;
}

export interface EmbeddingTokenTrainResult {
  adapter: ItemAdapter;
  steps: number;
  /** Mean loss of the first and the last epoch: distillation (KL to the target), alignment. */
  firstEpoch: { distill: number; align: number };
  lastEpoch: { distill: number; align: number };
  /** The teacher's scores: mean standard deviation within a list (how much order there is to learn). */
  teacherSpread: number;
  /** The settings the run used, defaults filled in (for the model card). */
  settings: {
    epochs: number;
    listsPerStep: number;
    learningRate: number;
    alignWeight: number;
    targets: 'logits' | 'standardised';
  };
  seconds: { teacher: number; train: number };
}

export async function trainItemAdapter(
  options: EmbeddingTokenTrainOptions,
): Promise<EmbeddingTokenTrainResult> {
  const { decoder, lists } = options;
  const lr = options.learningRate ?? 1e-3;
  const epochs = options.epochs ?? 2;
  const perStep = options.listsPerStep ?? 2;
  const alignWeight = options.alignWeight ?? 1;
  const seed = options.seed ?? 42;
  const targets = options.targets ?? 'standardised';
  const hidden = decoder.shape.hidden;
  const usable = lists.filter((l) => l.items.length >= 2);
  if (usable.length === 0) throw new RangeError('no query has two or more candidates to learn an order from');
  const inFeatures = usable[0]!.items[0]!.vector.length;
  decoder.freeze();

  const started = performance.now();
  const raw = teacherTargets(decoder, usable, options.quiet ?? false);
  const teacherSpread =
    raw.reduce((sum, t) => {
      const mean = t.scores.reduce((a, b) => a + b, 0) / t.scores.length;
      return sum + Math.sqrt(t.scores.reduce((a, b) => a + (b - mean) ** 2, 0) / t.scores.length);
    }, 0) / raw.length;
  const teacher =
    targets === 'standardised'
      ? raw.map((t) => ({ ...t, scores: Float32Array.from(standardise(Array.from(t.scores))) }))
      : raw;
  const teacherSeconds = (performance.now() - started) / 1000;

  const adapter = ItemAdapter.create(inFeatures, options.adapterHidden ?? hidden, hidden, seed);
  const adam = new AdamW(adapter.parameters(), { weightDecay: 0.01 });
  const random = new Mulberry32((seed ^ 0x9e3779b9) >>> 0);
  const stepsPerEpoch = Math.ceil(usable.length / perStep);
  const totalSteps = stepsPerEpoch * epochs;
  const schedule = {
    peak: lr,
    warmupSteps: Math.ceil(totalSteps * 0.1),
    totalSteps,
    decay: 'linear' as const,
  };
  const bar = new ProgressBar({
    label: 'embedding tokens',
    total: totalSteps,
    unit: 'steps',
    quiet: options.quiet ?? false,
  });
  const epochLosses: { distill: number; align: number }[] = [];
  const trainStarted = performance.now();
  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = random.shuffle(usable.map((_, i) => i));
    let distillSum = 0;
    let alignSum = 0;
    for (let at = 0; at < order.length; at += perStep) {
      const chosen = order.slice(at, at + perStep);
      const loss = adapterStep(
        decoder,
        adapter,
        options.suffix,
        chosen.map((i) => usable[i]!),
        chosen.map((i) => teacher[i]!),
        alignWeight,
      );
      clipGradNorm(adapter.parameters(), 1);
      adam.update(learningRate(step, schedule));
      for (const p of adapter.parameters()) p.zeroGrad();
      step++;
      distillSum += loss.distill;
      alignSum += loss.align;
      bar.setStatus(`distill ${loss.distill.toFixed(4)}  align ${loss.align.toFixed(4)}`);
      bar.tick();
      options.onStep?.(step, loss.distill + alignWeight * loss.align, totalSteps);
    }
    const n = Math.ceil(order.length / perStep);
    epochLosses.push({ distill: distillSum / n, align: alignSum / n });
  }
  bar.finish();
  return {
    adapter,
    steps: step,
    firstEpoch: epochLosses[0]!,
    lastEpoch: epochLosses[epochLosses.length - 1]!,
    teacherSpread,
    settings: { epochs, listsPerStep: perStep, learningRate: lr, alignWeight, targets },
    seconds: { teacher: teacherSeconds, train: (performance.now() - trainStarted) / 1000 },
  };
}

interface TeacherTargets {
  scores: Float32Array;
  /** [items, hidden]. */
  hidden: Float32Array;
}

/** The frozen decoder reading each list's full-text prompts: scores and last hidden states. */
function teacherTargets(
  decoder: YesNoDecoder,
  lists: readonly EmbeddingTokenList[],
  quiet: boolean,
): TeacherTargets[] {
  const bar = new ProgressBar({ label: 'teacher (full text)', total: lists.length, unit: 'queries', quiet });
  const out = lists.map((list) => {
    const rows = list.items.map((item) => [...list.prefix, ...item.textTokens]);
    const scores = decoder.forward(padded(rows));
    const hidden = decoder.lastHidden().slice();
    bar.tick();
    return { scores: scores.slice(), hidden };
  });
  bar.finish();
  return out;
}

/** One step's forward and backward over some lists; returns the two losses (means per list / per item). */
function adapterStep(
  decoder: YesNoDecoder,
  adapter: ItemAdapter,
  suffix: readonly number[],
  lists: readonly EmbeddingTokenList[],
  targets: readonly TeacherTargets[],
  alignWeight: number,
): { distill: number; align: number } {
  const h = decoder.shape.hidden;
  const rows: number[][] = [];
  const slots: number[] = [];
  const inputs: Float32Array[] = [];
  const groups: { start: number; count: number }[] = [];
  const teacherProbabilities: number[] = [];
  const teacherHidden: Float32Array[] = [];
  lists.forEach((list, l) => {
    groups.push({ start: rows.length, count: list.items.length });
    const t = targets[l]!;
    const max = Math.max(...t.scores);
    list.items.forEach((item, i) => {
      slots.push(list.prefix.length);
      rows.push([...list.prefix, 0, ...suffix]);
      inputs.push(item.vector);
      teacherProbabilities.push(Math.exp(t.scores[i]! - max));
      teacherHidden.push(t.hidden.subarray(i * h, i * h + h));
    });
  });
  const n = rows.length;
  const inFeatures = inputs[0]!.length;
  const x = new Float32Array(n * inFeatures);
  inputs.forEach((v, i) => {
    x.set(v, i * inFeatures);
  });
  const vectors = adapter.forward(x, n);
  const batch = padded(rows);
  batch.vectors = { at: Int32Array.from(slots, (slot, b) => b * batch.seq + slot), values: vectors };
  const scores = decoder.forward(batch);
  const last = decoder.lastHidden();
  const distill = listwiseSoftmaxCe(scores, teacherProbabilities, groups);
  // The target's own entropy, which no student can go below: what is left is the KL divergence.
  let entropy = 0;
  for (const { start, count } of groups) {
    let total = 0;
    for (let i = start; i < start + count; i++) total += teacherProbabilities[i]!;
    for (let i = start; i < start + count; i++) {
      const p = teacherProbabilities[i]! / total;
      if (p > 0) entropy -= p * Math.log(p);
    }
  }
  entropy /= groups.length;
  // Alignment: Σ‖g − h‖² / Σ‖h‖² over the batch.
  let reference = 0;
  for (const t of teacherHidden) for (const v of t) reference += v * v;
  let align = 0;
  const dLast = new Float32Array(n * h);
  for (let b = 0; b < n; b++) {
    const t = teacherHidden[b]!;
    for (let j = 0; j < h; j++) {
      const d = last[b * h + j]! - t[j]!;
      align += d * d;
      dLast[b * h + j] = (alignWeight * 2 * d) / reference;
    }
  }
  const dVectors = decoder.backward(distill.grad, dLast)!;
  adapter.backward(dVectors);
  return { distill: distill.loss - entropy, align: align / reference };
}

/** Right-padded ids and lengths of some rows. */
function padded(rows: readonly (readonly number[])[]): DecoderBatch {
  const seq = Math.max(...rows.map((r) => r.length));
  const ids = new Int32Array(rows.length * seq);
  rows.forEach((r, b) => {
    ids.set(r, b * seq);
  });
  return { batch: rows.length, seq, ids, lengths: Int32Array.from(rows, (r) => r.length) };
}
