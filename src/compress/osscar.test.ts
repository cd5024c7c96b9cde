import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SiftError } from '../errors.js';
import { Mulberry32 } from '../util/index.js';
import { matmul, rowsOf, spdSolve, submatrix } from './linalg.js';
import { groupRows, magnitudePrune, type OsscarProblem, osscarPrune, reconstructionError } from './osscar.js';

/** Random calibration inputs X (n × p) with correlated columns, so refitting has something to do. */
function problemFrom(
  n: number,
  p: number,
  q: number,
  gs: number,
  seed: number,
): OsscarProblem & { x: Float64Array } {
  const rng = new Mulberry32(seed);
  const base = Float64Array.from({ length: n * p }, () => rng.normal());
  const x = new Float64Array(n * p);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < p; c++) {
      // Each column mixes in its neighbour and a shared factor: a realistic, non-diagonal H.
      x[r * p + c] = base[r * p + c]! + 0.6 * base[r * p + ((c + 1) % p)]! + 0.4 * base[r * p]!;
    }
  }
  const xt = new Float64Array(p * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < p; c++) xt[c * n + r] = x[r * p + c]!;
  const gram = matmul(xt, x, p, n, p);
  const weights = Float64Array.from({ length: p * q }, () => rng.normal());
  return { gram, weights, inputs: p, outputs: q, groupSize: gs, x };
}

/** ½‖X·W0 − X·W‖² computed from X itself, not from H. */
function directError(problem: OsscarProblem & { x: Float64Array }, kept: number[], w: Float64Array): number {
  const { inputs: p, outputs: q, x } = problem;
  const n = x.length / p;
  const full = new Float64Array(p * q);
  groupRows(kept, problem.groupSize).forEach((r, i) => {
    full.set(w.subarray(i * q, (i + 1) * q), r * q);
  });
  const a = matmul(x, problem.weights, n, p, q);
  const b = matmul(x, full, n, p, q);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / 2;
}

/** The textbook greedy: each round deletes the group whose deletion (with an exact refit) costs least. */
function naiveGreedy(problem: OsscarProblem, keep: number, damping: number): number[] {
  const { inputs: p, outputs: q, groupSize: gs } = problem;
  const h = problem.gram.slice();
  let mean = 0;
  for (let i = 0; i < p; i++) mean += h[i * p + i]!;
  for (let i = 0; i < p; i++) h[i * p + i]! += (damping * mean) / p;
  const g = matmul(h, problem.weights, p, p, q);
  const value = (groups: number[]): number => {
    const rows = groupRows(groups, gs);
    const gS = rowsOf(g, q, rows);
    const w = spdSolve(submatrix(h, p, rows, rows), rows.length, gS, q);
    let s = 0;
    for (let i = 0; i < gS.length; i++) s += gS[i]! * w[i]!;
    return -s / 2;
  };
  let kept = Array.from({ length: p / gs }, (_, i) => i);
  while (kept.length > keep) {
    let best = Infinity;
    let drop = -1;
    for (const candidate of kept) {
      const v = value(kept.filter((k) => k !== candidate));
      if (v < best) [best, drop] = [v, candidate];
    }
    kept = kept.filter((k) => k !== drop);
  }
  return kept;
}

describe('OSSCAR', () => {
  it('equals magnitude pruning when XᵀX = I (the sanity test of ../shared/SYSTEM.md §4)', () => {
    for (const gs of [1, 4]) {
      const p = 24;
      const q = 5;
      const rng = new Mulberry32(7 + gs);
      const gram = new Float64Array(p * p);
      for (let i = 0; i < p; i++) gram[i * p + i] = 1;
      const problem: OsscarProblem = {
        gram,
        weights: Float64Array.from({ length: p * q }, () => rng.normal()),
        inputs: p,
        outputs: q,
        groupSize: gs,
      };
      const keep = p / gs / 2;
      const osscar = osscarPrune(problem, { keep, steps: 3 });
      const magnitude = magnitudePrune(problem, { keep });
      assert.deepEqual(osscar.kept, magnitude.kept, `group size ${gs}`);
      for (let i = 0; i < osscar.weights.length; i++) {
        assert.ok(
          Math.abs(osscar.weights[i]! - magnitude.weights[i]!) < 1e-12,
          `weight ${i}, group size ${gs}`,
        );
      }
    }
  });

  it('deletes what the exact greedy deletes when it goes one group a round (the Woodbury downdates are exact)', () => {
    for (const gs of [1, 3]) {
      const problem = problemFrom(200, 18, 4, gs, 11 + gs);
      const groups = 18 / gs;
      const keep = Math.floor(groups / 3);
      const fast = osscarPrune(problem, { keep, steps: groups - keep });
      assert.deepEqual(fast.kept, naiveGreedy(problem, keep, 0.01), `group size ${gs}`);
    }
  });

  it('refits the kept rows to the least-squares optimum on the calibration inputs', () => {
    const problem = problemFrom(300, 16, 3, 1, 5);
    const solution = osscarPrune(problem, { keep: 8, damping: 1e-9 });
    const base = directError(problem, solution.kept, solution.weights);
    // Any step away from the refit makes the error larger: the gradient vanishes at the optimum.
    const rng = new Mulberry32(3);
    for (let trial = 0; trial < 5; trial++) {
      const moved = solution.weights.map((w) => w + 1e-3 * rng.normal());
      assert.ok(directError(problem, solution.kept, moved) > base, `trial ${trial}`);
    }
    // The error from H alone equals the error computed from X.
    const fromGram = reconstructionError(problem, solution).error;
    assert.ok(Math.abs(fromGram - base) < 1e-6 * Math.max(1, base), `${fromGram} vs ${base}`);
  });

  it('reconstructs better than magnitude pruning at the same sparsity on correlated inputs', () => {
    for (const gs of [1, 2]) {
      const problem = problemFrom(400, 32, 6, gs, 21 + gs);
      const keep = 32 / gs / 2;
      const osscar = reconstructionError(problem, osscarPrune(problem, { keep }));
      const magnitude = reconstructionError(problem, magnitudePrune(problem, { keep }));
      assert.ok(osscar.relative < magnitude.relative, `${osscar.relative} vs ${magnitude.relative}`);
      assert.ok(osscar.relative > 0 && osscar.relative < 1);
    }
  });

  it('removes dead inputs first and never increases the objective in local search', () => {
    const problem = problemFrom(300, 20, 4, 1, 9);
    // Inputs 3 and 7 are always zero: zero their rows and columns of H.
    for (const dead of [3, 7]) {
      for (let i = 0; i < 20; i++) {
        problem.gram[dead * 20 + i] = 0;
        problem.gram[i * 20 + dead] = 0;
      }
    }
    const plain = osscarPrune(problem, { keep: 6, steps: 2 });
    assert.equal(plain.dead, 2);
    assert.ok(!plain.kept.includes(3) && !plain.kept.includes(7));
    const searched = osscarPrune(problem, { keep: 6, steps: 2, localSearch: 10 });
    assert.ok(
      reconstructionError(problem, searched).error <= reconstructionError(problem, plain).error + 1e-9,
      'local search made it worse',
    );
  });

  it('refuses a keep count outside [1, groups] and a group size that does not divide the inputs', () => {
    const problem = problemFrom(50, 8, 2, 1, 1);
    assert.throws(
      () => osscarPrune(problem, { keep: 0 }),
      (e: unknown) => e instanceof SiftError && e.code === 'E_PRUNE',
    );
    assert.throws(() => osscarPrune(problem, { keep: 9 }), /cannot keep 9 of 8/);
    assert.throws(() => osscarPrune({ ...problem, groupSize: 3 }, { keep: 1 }), /group size 3/);
  });
});
