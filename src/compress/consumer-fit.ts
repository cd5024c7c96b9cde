// What every structured pruning of sift's models shares, whatever the family: fitting one consumer layer
// on calibration activations (OSSCAR, or magnitude as the baseline) with XᵀX accumulated in float64, and
// slicing producers and consumers to the kept groups. prune-bert.ts (cross-encoders) and
// prune-decoder.ts (yes/no decoders) decide which layers are consumers and producers.

import { SiftError } from '../errors.js';
import { gemm, Linear, type TokenBatch } from '../train/index.js';
import {
  magnitudePrune,
  type OsscarProblem,
  osscarPrune,
  type PruneSolution,
  reconstructionError,
} from './osscar.js';

export type PruneMethod = 'osscar' | 'magnitude';

/** What to remove and how; the decoder's spec has no heads (see prune-decoder.ts). */
export interface PruneSpec {
  /** Fraction of MLP neurons removed in every kept layer, in [0, 1). */
  mlp?: number;
  /** Layers dropped from the top of the model. */
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

/**
 * Fits one consumer layer (attention output, MLP output or down projection) on the calibration batches and
 * returns the kept groups and refitted weights. `runBatch(b)` runs the block on calibration batch b, so that
 * `linear.lastInput` holds the consumer's input for it (the block as pruned so far).
 */
export function fitConsumer(
  linear: Linear,
  calibration: readonly TokenBatch[],
  runBatch: (b: number) => void,
  groupSize: number,
  keep: number,
  spec: PruneSpec,
  warn: (message: string) => void,
): { report: Omit<LayerPruneReport, 'layer' | 'target'>; solution: PruneSolution } {
  const p = linear.inFeatures;
  const q = linear.outFeatures;
  const gram = new Float64Array(p * p);
  let tokens = 0;
  calibration.forEach((batch, b) => {
    runBatch(b);
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
export function consumerWeight(solution: PruneSolution, q: number): Float32Array {
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

/** A producer keeping output rows `rows` (weight rows and bias entries). */
export function keepOutputs(linear: Linear, rows: readonly number[]): Linear {
  const n = linear.inFeatures;
  const weight = new Float32Array(rows.length * n);
  rows.forEach((r, i) => {
    weight.set(linear.weight.data.subarray(r * n, (r + 1) * n), i * n);
  });
  const bias = linear.bias ? Float32Array.from(rows, (r) => linear.bias!.data[r]!) : undefined;
  return Linear.create(baseName(linear), weight, bias, n);
}

/** A consumer with new input columns (its weight [q, k]); the bias stays. */
export function withInputs(linear: Linear, weight: Float32Array): Linear {
  const k = weight.length / linear.outFeatures;
  return Linear.create(baseName(linear), weight, linear.bias?.data.slice(), k);
}

function baseName(linear: Linear): string {
  return linear.weight.name.replace(/\.weight$/, '');
}

export function fraction(value: number, field: string): number {
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

/** Drops the top `drop` layers in place, after checking it leaves at least one (E_PRUNE names the option). */
export function dropTopLayers<T>(layers: T[], drop: number): void {
  if (!Number.isInteger(drop) || drop < 0 || drop >= layers.length) {
    throw new SiftError(
      'E_PRUNE',
      `--drop-layers must be an integer in [0, ${layers.length - 1}] for a ${layers.length}-layer model, not ${drop}`,
      { field: 'dropLayers' },
    );
  }
  layers.splice(layers.length - drop, drop);
}
