// OSSCAR for one consumer layer (`../shared/SYSTEM.md` §4; Meng et al., ICML 2024): choose which input
// groups of a linear layer to keep (an MLP neuron is one input row, an attention head head_dim rows) and
// refit the kept rows, minimising the reconstruction error on calibration inputs
//
//   ½‖X·W0 − X·W‖²  =  ½ Tr(Wᵀ H W) − Tr(Gᵀ W) + const,   H = XᵀX,  G = H·W0,
//
// with only H (p × p) and G ever needed. W is p inputs × q outputs, the transpose of a PyTorch Linear's
// weight. For a kept set S the optimum is W_S = H_SS⁻¹ G_S. Groups leave by greedy backward elimination:
// each round scores every kept group by the exact loss increase of deleting it while refitting the rest,
// removes the cheapest few, and downdates W and H⁻¹ with the Woodbury identity; a final exact solve on the
// kept set follows, then an optional local search that swaps groups while the objective improves.

import { SiftError } from '../errors.js';
import { gemm64, matmul, rowsOf, spdInverse, spdSolve, submatrix } from './linalg.js';

export interface OsscarProblem {
  /** XᵀX of the consumer's inputs over calibration tokens (p × p, row-major, undamped). */
  gram: Float64Array;
  /** The consumer's dense weights, inputs × outputs (p × q, row-major). */
  weights: Float64Array;
  /** Inputs p (rows of `weights`). */
  inputs: number;
  /** Outputs q (columns of `weights`). */
  outputs: number;
  /** Rows per group: 1 for MLP neurons, head_dim for attention heads. Groups are consecutive rows. */
  groupSize: number;
}

export interface OsscarOptions {
  /** Groups to keep, in [1, groups]. */
  keep: number;
  /** Rounds of greedy elimination (more rounds, more exact; ../shared/SYSTEM.md's "a few steps"). Default 8. */
  steps?: number;
  /** Damping as a fraction of H's mean diagonal. Default 0.01. */
  damping?: number;
  /** Swap rounds of local search after elimination (0: none). Default 0. */
  localSearch?: number;
}

export interface PruneSolution {
  /** Indices of the kept groups, ascending. */
  kept: number[];
  /** Refitted weights of the kept rows: (|kept| · groupSize) × q, in `kept` order. */
  weights: Float64Array;
  /** Groups whose inputs were always zero on the calibration data (removed first, at no cost). */
  dead: number;
  /** Local-search swaps that were accepted. */
  swaps: number;
}

const DEFAULT_STEPS = 8;
const DEFAULT_DAMPING = 0.01;

/** OSSCAR: the kept groups and their refitted weights. */
export function osscarPrune(problem: OsscarProblem, options: OsscarOptions): PruneSolution {
  const { groups, gs, q } = checkProblem(problem, options.keep);
  const damping = options.damping ?? DEFAULT_DAMPING;
  const steps = Math.max(1, Math.floor(options.steps ?? DEFAULT_STEPS));

  // Dead groups (every input row always zero) go first: deleting them costs nothing.
  const dead = new Set<number>();
  for (let g = 0; g < groups; g++) {
    let live = false;
    for (let r = g * gs; r < (g + 1) * gs && !live; r++) live = problem.gram[r * problem.inputs + r]! > 0;
    if (!live) dead.add(g);
  }
  const live = range(groups).filter((g) => !dead.has(g));
  const keepTarget = Math.min(options.keep, groups);
  if (live.length <= keepTarget) {
    // Fewer live groups than asked for: keep them all, padded with dead ones (their refit is zero).
    const kept = [...live, ...[...dead].slice(0, keepTarget - live.length)].sort((a, b) => a - b);
    return { kept, weights: exactRefit(problem, kept, damping), dead: dead.size, swaps: 0 };
  }

  const rows = groupRows(live, gs);
  const p = rows.length;
  const h = dampedGram(problem, rows, damping);
  const g = matmul(h, rowsOf(problem.weights, q, rows), p, p, q);
  const hinv = spdInverse(h, p);
  // Unconstrained optimum: W = H⁻¹ G = W0 restricted to the live rows; kept as the running solution.
  const w = matmul(hinv, g, p, p, q);
  const alive = new Array<boolean>(live.length).fill(true);
  let remaining = live.length - keepTarget;
  for (let step = 0; step < steps && remaining > 0; step++) {
    const take = Math.ceil(remaining / (steps - step));
    const scored: { local: number; cost: number }[] = [];
    for (let i = 0; i < live.length; i++) {
      if (alive[i]) scored.push({ local: i, cost: deletionCost(hinv, w, p, q, i * gs, gs) });
    }
    scored.sort((a, b) => a.cost - b.cost || a.local - b.local);
    const removed = scored.slice(0, take).map((s) => s.local);
    woodburyRemove(hinv, w, p, q, groupRows(removed, gs));
    for (const i of removed) alive[i] = false;
    remaining -= removed.length;
  }
  let kept = live.filter((_, i) => alive[i]);
  let swaps = 0;
  if ((options.localSearch ?? 0) > 0) {
    ({ kept, swaps } = localSearch(problem, kept, live, damping, options.localSearch ?? 0));
  }
  return { kept, weights: exactRefit(problem, kept, damping), dead: dead.size, swaps };
}

/** Magnitude pruning, the baseline: keep the groups whose weights have the largest norm, unrefitted. */
export function magnitudePrune(problem: OsscarProblem, options: Pick<OsscarOptions, 'keep'>): PruneSolution {
  const { groups, gs, q } = checkProblem(problem, options.keep);
  const norms = range(groups).map((g) => {
    let s = 0;
    for (let i = g * gs * q; i < (g + 1) * gs * q; i++) s += problem.weights[i]! ** 2;
    return s;
  });
  const kept = range(groups)
    .sort((a, b) => norms[b]! - norms[a]! || a - b)
    .slice(0, options.keep)
    .sort((a, b) => a - b);
  return { kept, weights: rowsOf(problem.weights, q, groupRows(kept, gs)), dead: 0, swaps: 0 };
}

/**
 * The objective ½‖X·W0 − X·W‖² of a solution, on the undamped H, and the same relative to ½‖X·W0‖²
 * (0: exact, 1: as bad as deleting everything).
 */
export function reconstructionError(
  problem: OsscarProblem,
  solution: Pick<PruneSolution, 'kept' | 'weights'>,
): { error: number; relative: number } {
  const { inputs: p, outputs: q, groupSize: gs } = problem;
  const diff = problem.weights.slice();
  const rows = groupRows(solution.kept, gs);
  rows.forEach((r, i) => {
    for (let c = 0; c < q; c++) diff[r * q + c]! -= solution.weights[i * q + c]!;
  });
  const error = 0.5 * quadratic(problem.gram, diff, p, q);
  const total = 0.5 * quadratic(problem.gram, problem.weights, p, q);
  return { error, relative: total > 0 ? error / total : 0 };
}

/** Tr(Dᵀ H D) for H p × p and D p × q. */
function quadratic(h: Float64Array, d: Float64Array, p: number, q: number): number {
  const hd = matmul(h, d, p, p, q);
  let s = 0;
  for (let i = 0; i < p * q; i++) s += hd[i]! * d[i]!;
  return s;
}

function checkProblem(problem: OsscarProblem, keep: number): { groups: number; gs: number; q: number } {
  const { inputs: p, outputs: q, groupSize: gs } = problem;
  if (!Number.isInteger(gs) || gs < 1 || p % gs !== 0) {
    throw new SiftError('E_PRUNE', `group size ${gs} does not divide the ${p} inputs`, {
      field: 'groupSize',
    });
  }
  if (problem.gram.length !== p * p || problem.weights.length !== p * q) {
    throw new SiftError('E_PRUNE', `H must be ${p}×${p} and W ${p}×${q}`, { field: 'gram' });
  }
  const groups = p / gs;
  if (!Number.isInteger(keep) || keep < 1 || keep > groups) {
    throw new SiftError('E_PRUNE', `cannot keep ${keep} of ${groups} groups`, { field: 'keep' });
  }
  return { groups, gs, q };
}

/** H restricted to `rows`, plus damping·mean(diag)·I. */
function dampedGram(problem: OsscarProblem, rows: readonly number[], damping: number): Float64Array {
  const p = rows.length;
  const h = submatrix(problem.gram, problem.inputs, rows, rows);
  let mean = 0;
  for (let i = 0; i < p; i++) mean += h[i * p + i]!;
  mean /= p;
  const lambda = damping * mean;
  for (let i = 0; i < p; i++) h[i * p + i]! += lambda;
  return h;
}

/** W_S = H_SS⁻¹ G_S, G = H·W0 on the damped H (rows of the kept groups, in order). */
function exactRefit(problem: OsscarProblem, kept: readonly number[], damping: number): Float64Array {
  const { outputs: q, groupSize: gs } = problem;
  const live = range(problem.inputs / gs).filter((g) => {
    for (let r = g * gs; r < (g + 1) * gs; r++) if (problem.gram[r * problem.inputs + r]! > 0) return true;
    return false;
  });
  // The damping's scale comes from every live input, as in the elimination, so the final solve agrees with it.
  const liveRows = groupRows(live, gs);
  const h = dampedGram(problem, liveRows, damping);
  const index = new Map(liveRows.map((r, i) => [r, i]));
  const keptRows = groupRows(kept, gs);
  const s = keptRows.map((r) => index.get(r));
  const out = new Float64Array(keptRows.length * q);
  const liveKept = s.filter((i): i is number => i !== undefined);
  if (liveKept.length === 0) return out;
  const p = liveRows.length;
  const g = matmul(
    submatrix(h, p, liveKept, range(p)),
    rowsOf(problem.weights, q, liveRows),
    liveKept.length,
    p,
    q,
  );
  const solved = spdSolve(submatrix(h, p, liveKept, liveKept), liveKept.length, g, q);
  let next = 0;
  s.forEach((i, row) => {
    if (i !== undefined) out.set(solved.subarray(next++ * q, next * q), row * q);
  });
  return out;
}

/** ½ Tr(W_gᵀ (Hinv_gg)⁻¹ W_g): the exact loss increase of deleting group g and refitting the rest. */
function deletionCost(
  hinv: Float64Array,
  w: Float64Array,
  p: number,
  q: number,
  start: number,
  gs: number,
): number {
  if (gs === 1) {
    let s = 0;
    for (let c = 0; c < q; c++) s += w[start * q + c]! ** 2;
    return s / (2 * hinv[start * p + start]!);
  }
  const rows = range(gs).map((i) => start + i);
  const block = submatrix(hinv, p, rows, rows);
  const wg = rowsOf(w, q, rows);
  const solved = spdSolve(block, gs, wg, q);
  let s = 0;
  for (let i = 0; i < gs * q; i++) s += wg[i]! * solved[i]!;
  return s / 2;
}

/**
 * Deletes rows R and refits the rest, in place: with M = (Hinv_RR)⁻¹,
 * W ← W − Hinv[:,R]·M·W[R,:] and Hinv ← Hinv − Hinv[:,R]·M·Hinv[R,:]; R's rows and columns end at zero.
 */
function woodburyRemove(
  hinv: Float64Array,
  w: Float64Array,
  p: number,
  q: number,
  r: readonly number[],
): void {
  const k = r.length;
  const all = range(p);
  const hRR = submatrix(hinv, p, r, r);
  const hR = submatrix(hinv, p, r, all); // k × p (Hinv is symmetric: Hinv[R,:] = Hinv[:,R]ᵀ)
  const mW = spdSolve(hRR, k, rowsOf(w, q, r), q); // M·W[R,:], k × q
  const mH = spdSolve(hRR, k, hR, p); // M·Hinv[R,:], k × p
  // Hinv[:,R] = Hinv[R,:]ᵀ = hRᵀ: both downdates are rank-k products with A = hR transposed.
  gemm64({
    transA: true,
    transB: false,
    m: p,
    n: q,
    k,
    alpha: -1,
    a: hR,
    lda: p,
    b: mW,
    ldb: q,
    beta: 1,
    c: w,
    ldc: q,
  });
  gemm64({
    transA: true,
    transB: false,
    m: p,
    n: p,
    k,
    alpha: -1,
    a: hR,
    lda: p,
    b: mH,
    ldb: p,
    beta: 1,
    c: hinv,
    ldc: p,
  });
  for (const row of r) {
    w.fill(0, row * q, (row + 1) * q);
    hinv.fill(0, row * p, (row + 1) * p);
    for (let i = 0; i < p; i++) hinv[i * p + row] = 0;
  }
}

/**
 * Swaps one kept group for one removed group while that lowers the objective −½ Tr(G_Sᵀ H_SS⁻¹ G_S):
 * the kept group that costs least to delete against the removed group that gains most when re-added,
 * each swap checked by an exact solve before it is accepted.
 */
function localSearch(
  problem: OsscarProblem,
  kept: number[],
  live: readonly number[],
  damping: number,
  rounds: number,
): { kept: number[]; swaps: number } {
  const gs = problem.groupSize;
  const liveRows = groupRows(live, gs);
  const p = liveRows.length;
  const q = problem.outputs;
  const h = dampedGram(problem, liveRows, damping);
  const g = matmul(h, rowsOf(problem.weights, q, liveRows), p, p, q);
  const localOf = new Map(live.map((group, i) => [group, i]));
  const objective = (set: readonly number[]): number => {
    const rows = groupRows(
      set.map((x) => localOf.get(x)!),
      gs,
    );
    const gS = rowsOf(g, q, rows);
    const wS = spdSolve(submatrix(h, p, rows, rows), rows.length, gS, q);
    let s = 0;
    for (let i = 0; i < gS.length; i++) s += gS[i]! * wS[i]!;
    return -s / 2;
  };
  let current = [...kept];
  let best = objective(current);
  let swaps = 0;
  for (let round = 0; round < rounds; round++) {
    const keptSet = new Set(current);
    const out = live.filter((x) => !keptSet.has(x));
    if (out.length === 0) break;
    const rows = groupRows(
      current.map((x) => localOf.get(x)!),
      gs,
    );
    const hinv = spdInverse(submatrix(h, p, rows, rows), rows.length);
    const w = matmul(hinv, rowsOf(g, q, rows), rows.length, rows.length, q);
    // The kept group cheapest to delete.
    let worst = 0;
    let worstCost = Infinity;
    current.forEach((_, i) => {
      const cost = deletionCost(hinv, w, rows.length, q, i * gs, gs);
      if (cost < worstCost) [worst, worstCost] = [i, cost];
    });
    // The removed group whose re-adding gains most: ½ Tr(g_jᵀ C_j g_j), C_j = (H_jj − H_jS H_SS⁻¹ H_Sj)⁻¹,
    // g_j = G_j − H_jS W_S.
    let bestIn = -1;
    let bestGain = -Infinity;
    for (const j of out) {
      const jRows = groupRows([localOf.get(j)!], gs);
      const hJS = submatrix(h, p, jRows, rows);
      const schur = submatrix(h, p, jRows, jRows);
      const hinvHSJ = matmul(hinv, transpose(hJS, gs, rows.length), rows.length, rows.length, gs);
      const prod = matmul(hJS, hinvHSJ, gs, rows.length, gs);
      for (let i = 0; i < gs * gs; i++) schur[i]! -= prod[i]!;
      const gj = rowsOf(g, q, jRows);
      const fit = matmul(hJS, w, gs, rows.length, q);
      for (let i = 0; i < gj.length; i++) gj[i]! -= fit[i]!;
      const solved = spdSolve(schur, gs, gj, q);
      let gain = 0;
      for (let i = 0; i < gj.length; i++) gain += gj[i]! * solved[i]!;
      if (gain / 2 > bestGain) [bestIn, bestGain] = [j, gain / 2];
    }
    if (bestIn < 0 || bestGain <= worstCost) break;
    const candidate = [...current];
    candidate[worst] = bestIn;
    candidate.sort((a, b) => a - b);
    const value = objective(candidate);
    if (!(value < best - 1e-12 * Math.abs(best))) break;
    current = candidate;
    best = value;
    swaps++;
  }
  return { kept: current, swaps };
}

function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

/** The input rows of groups `groups` (consecutive blocks of `gs`), in order. */
export function groupRows(groups: readonly number[], gs: number): number[] {
  const rows: number[] = [];
  for (const g of groups) for (let i = 0; i < gs; i++) rows.push(g * gs + i);
  return rows;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
