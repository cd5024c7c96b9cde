// Structured pruning of a BERT-family model (the cross-encoder students), block by block:
// - whole layers: the last k are dropped (the paper's production recipe drops the last 8 of 28);
// - attention heads: the consumer is `attention.output.dense` (a group is head_dim input rows); the
//   producers `query`/`key`/`value` lose the removed heads' rows;
// - MLP neurons: the consumer is `output.dense` (a group is one input row); the producer
//   `intermediate.dense` loses the removed neurons' rows.
// Each consumer is refitted by OSSCAR (or cut by magnitude, the baseline) on calibration activations taken
// from the training engine's forward pass of the model *as pruned so far*, so each block's fit sees the
// inputs it will really get. The engine's forward matches PyTorch (train/parity.test.ts) and exposes every
// layer's input, which ONNX Runtime's fused graph would need rebuilding for after every block.

import { SiftError } from '../errors.js';
import { type BertEncoder, type BertLayer, gemm, Linear, type TokenBatch } from '../train/index.js';
import {
  magnitudePrune,
  type OsscarProblem,
  osscarPrune,
  type PruneSolution,
  reconstructionError,
} from './osscar.js';

export type PruneMethod = 'osscar' | 'magnitude';

export interface BertPruneSpec {
  /** Fraction of MLP neurons removed in every kept layer, in [0, 1). */
  mlp?: number;
  /** Fraction of attention heads removed in every kept layer, in [0, 1). */
  heads?: number;
  /** Layers dropped from the top of the encoder. */
  dropLayers?: number;
  method?: PruneMethod;
  /** OSSCAR elimination rounds, damping and local-search rounds (see osscar.ts). */
  steps?: number;
  damping?: number;
  localSearch?: number;
}

export interface LayerPruneReport {
  layer: number;
  target: 'heads' | 'mlp';
  groups: number;
  kept: number;
  /** Groups whose inputs were zero on every calibration token. */
  dead: number;
  /** The method's reconstruction error relative to ½‖X·W0‖², on this block's calibration inputs. */
  relativeError: number;
  /** Magnitude pruning's on the same inputs, for comparison (equal when the method is magnitude). */
  magnitudeRelativeError: number;
  /** Calibration tokens (rows of X) seen by this block. */
  tokens: number;
}

export interface BertPruneResult {
  layers: LayerPruneReport[];
  /** Removed head indices per kept layer (Hugging Face's `pruned_heads`). */
  prunedHeads: Record<string, number[]>;
  /** What the caller should tell the user (a calibration set too small for the Hessian's rank). */
  warnings: string[];
}

/** Prunes `encoder` in place on the calibration batches; calls `onBlock` after each block. */
export function pruneBertEncoder(
  encoder: BertEncoder,
  calibration: readonly TokenBatch[],
  spec: BertPruneSpec,
  onBlock: (done: number, total: number) => void = () => {},
): BertPruneResult {
  const mlp = fraction(spec.mlp ?? 0, 'mlp');
  const heads = fraction(spec.heads ?? 0, 'heads');
  const drop = spec.dropLayers ?? 0;
  if (!Number.isInteger(drop) || drop < 0 || drop >= encoder.layers.length) {
    throw new SiftError(
      'E_PRUNE',
      `--drop-layers must be an integer in [0, ${encoder.layers.length - 1}] for a ${encoder.layers.length}-layer model, not ${drop}`,
      { field: 'dropLayers' },
    );
  }
  encoder.layers.splice(encoder.layers.length - drop, drop);
  const result: BertPruneResult = { layers: [], prunedHeads: {}, warnings: [] };
  if (mlp === 0 && heads === 0) return result;
  if (calibration.length === 0) {
    throw new SiftError('E_PRUNE', 'no calibration pairs: pruning needs activations to fit', {
      field: 'calibration',
    });
  }
  let hidden = calibration.map((batch) => encoder.embeddings.forward(batch));
  encoder.layers.forEach((layer, index) => {
    if (heads > 0) {
      const headDim = layer.parts.query.outFeatures / layer.parts.heads;
      const groups = layer.parts.heads;
      const keep = Math.max(1, groups - Math.round(heads * groups));
      const { report, solution } = pruneConsumer(
        layer,
        hidden,
        calibration,
        'attentionOutput',
        headDim,
        keep,
        spec,
        (w) => result.warnings.push(`layer ${index} attention: ${w}`),
      );
      result.layers.push({ ...report, layer: index, target: 'heads' });
      const removed = range(groups).filter((h) => !solution.kept.includes(h));
      if (removed.length > 0) result.prunedHeads[String(index)] = removed;
      sliceHeads(layer, solution, headDim);
    }
    if (mlp > 0) {
      const groups = layer.parts.intermediate.outFeatures;
      const keep = Math.max(1, groups - Math.round(mlp * groups));
      const { report, solution } = pruneConsumer(layer, hidden, calibration, 'output', 1, keep, spec, (w) =>
        result.warnings.push(`layer ${index} MLP: ${w}`),
      );
      result.layers.push({ ...report, layer: index, target: 'mlp' });
      sliceNeurons(layer, solution);
    }
    hidden = hidden.map((x, b) =>
      layer.forward(x, calibration[b]!.batch, calibration[b]!.seq, calibration[b]!.lengths),
    );
    onBlock(index + 1, encoder.layers.length);
  });
  return result;
}

/** Fits one consumer (attention output or MLP output) of `layer` and returns the kept groups and weights. */
function pruneConsumer(
  layer: BertLayer,
  hidden: readonly Float32Array[],
  calibration: readonly TokenBatch[],
  consumer: 'attentionOutput' | 'output',
  groupSize: number,
  keep: number,
  spec: BertPruneSpec,
  warn: (message: string) => void,
): { report: Omit<LayerPruneReport, 'layer' | 'target'>; solution: PruneSolution } {
  const linear = layer.parts[consumer];
  const p = linear.inFeatures;
  const q = linear.outFeatures;
  const gram = new Float64Array(p * p);
  let tokens = 0;
  hidden.forEach((x, b) => {
    const batch = calibration[b]!;
    layer.forward(x, batch.batch, batch.seq, batch.lengths);
    tokens += accumulateGram(gram, linear.lastInput!.data, p, batch);
  });
  const problem: OsscarProblem = {
    gram,
    weights: transposeToFloat64(linear.weight.data, q, p),
    inputs: p,
    outputs: q,
    groupSize,
  };
  // XᵀX has rank at most the token count: with fewer tokens than live inputs most directions are unseen,
  // and the default damping would let the refit swing freely along them. Damp harder and say so.
  let live = 0;
  for (let i = 0; i < p; i++) if (gram[i * p + i]! > 0) live++;
  let damping = spec.damping ?? DEFAULT_DAMPING;
  if (tokens < live) {
    damping = Math.max(damping, SMALL_CALIBRATION_DAMPING);
    warn(
      `${tokens} calibration tokens for ${live} live inputs: XᵀX has rank ≤ ${tokens}, so damping is raised to ${damping}; calibrate on more pairs`,
    );
  }
  const magnitude = magnitudePrune(problem, { keep });
  const solution =
    (spec.method ?? 'osscar') === 'magnitude'
      ? magnitude
      : osscarPrune(problem, {
          keep,
          ...(spec.steps !== undefined ? { steps: spec.steps } : {}),
          damping,
          ...(spec.localSearch !== undefined ? { localSearch: spec.localSearch } : {}),
        });
  const groups = p / groupSize;
  return {
    solution,
    report: {
      groups,
      kept: solution.kept.length,
      dead: solution.dead,
      relativeError: reconstructionError(problem, solution).relative,
      magnitudeRelativeError: reconstructionError(problem, magnitude).relative,
      tokens,
    },
  };
}

/** Rows of `outputs`-column float32 matrix [q, p] as a float64 [p, q] (a Linear's weight as OSSCAR's W). */
function transposeToFloat64(weight: Float32Array, q: number, p: number): Float64Array {
  const w = new Float64Array(p * q);
  for (let o = 0; o < q; o++) for (let i = 0; i < p; i++) w[i * q + o] = weight[o * p + i]!;
  return w;
}

/** OSSCAR's kept rows [k, q] as a Linear weight [q, k] in float32. */
function consumerWeight(solution: PruneSolution, q: number): Float32Array {
  const k = solution.weights.length / q;
  const w = new Float32Array(q * k);
  for (let i = 0; i < k; i++) for (let o = 0; o < q; o++) w[o * k + i] = solution.weights[i * q + o]!;
  return w;
}

const CHUNK_ROWS = 512;
const DEFAULT_DAMPING = 0.01;
const SMALL_CALIBRATION_DAMPING = 0.1;

/**
 * Adds XᵀX over the batch's real tokens (padding rows excluded) to `gram`. Each chunk of ≤ 512 rows is
 * multiplied in float32 on BLAS and summed into the float64 accumulator, so rounding stays that of a
 * 512-term sum however many tokens the calibration set has. Returns the tokens added.
 */
function accumulateGram(gram: Float64Array, x: Float32Array, p: number, batch: TokenBatch): number {
  const rows: number[] = [];
  for (let b = 0; b < batch.batch; b++)
    for (let t = 0; t < batch.lengths[b]!; t++) rows.push(b * batch.seq + t);
  const chunk = new Float32Array(Math.min(CHUNK_ROWS, rows.length) * p);
  const partial = new Float32Array(p * p);
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const part = rows.slice(start, start + CHUNK_ROWS);
    part.forEach((r, i) => {
      chunk.set(x.subarray(r * p, (r + 1) * p), i * p);
    });
    gemm({
      transA: true,
      transB: false,
      m: p,
      n: p,
      k: part.length,
      a: chunk,
      lda: p,
      b: chunk,
      ldb: p,
      c: partial,
      ldc: p,
    });
    for (let i = 0; i < p * p; i++) gram[i]! += partial[i]!;
  }
  return rows.length;
}

/** Keeps the solution's heads: q/k/v rows of those heads, the attention output refitted on them. */
function sliceHeads(layer: BertLayer, solution: PruneSolution, headDim: number): void {
  const parts = layer.parts;
  const rows: number[] = [];
  for (const h of solution.kept) for (let i = 0; i < headDim; i++) rows.push(h * headDim + i);
  parts.query = keepOutputs(parts.query, rows);
  parts.key = keepOutputs(parts.key, rows);
  parts.value = keepOutputs(parts.value, rows);
  parts.attentionOutput = withInputs(
    parts.attentionOutput,
    consumerWeight(solution, parts.attentionOutput.outFeatures),
  );
  parts.heads = solution.kept.length;
}

/** Keeps the solution's MLP neurons: intermediate rows, the output refitted on them. */
function sliceNeurons(layer: BertLayer, solution: PruneSolution): void {
  const parts = layer.parts;
  parts.intermediate = keepOutputs(parts.intermediate, solution.kept);
  parts.output = withInputs(parts.output, consumerWeight(solution, parts.output.outFeatures));
}

/** A producer keeping output rows `rows` (weight rows and bias entries). */
function keepOutputs(linear: Linear, rows: readonly number[]): Linear {
  const n = linear.inFeatures;
  const weight = new Float32Array(rows.length * n);
  rows.forEach((r, i) => {
    weight.set(linear.weight.data.subarray(r * n, (r + 1) * n), i * n);
  });
  const bias = linear.bias ? Float32Array.from(rows, (r) => linear.bias!.data[r]!) : undefined;
  return Linear.create(baseName(linear), weight, bias, n);
}

/** A consumer with new input columns (its weight [q, k]); the bias stays. */
function withInputs(linear: Linear, weight: Float32Array): Linear {
  const k = weight.length / linear.outFeatures;
  return Linear.create(baseName(linear), weight, linear.bias?.data.slice(), k);
}

function baseName(linear: Linear): string {
  return linear.weight.name.replace(/\.weight$/, '');
}

function fraction(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0 || value >= 1) {
    throw new SiftError(
      'E_PRUNE',
      `--${field} is the fraction to remove and must be in [0, 1), not ${value}`,
      {
        field,
      },
    );
  }
  return value;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
