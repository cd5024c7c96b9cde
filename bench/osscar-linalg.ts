// Question: how long does OSSCAR take per layer on sift's models' shapes, with its float64 linear algebra
// on OpenBLAS and LAPACK (the BLAS addon) against the portable TypeScript it falls back to?
//
// One problem per shape, seeded: X is N Gaussian calibration rows with correlated columns (each column
// mixes in its neighbour and a shared factor, so H = XᵀX is far from diagonal) and W0 Gaussian; the time
// covers forming H (XᵀX in float64), OSSCAR's elimination and exact refit at the keep shown, and the
// reconstruction errors of OSSCAR and magnitude pruning that `sift prune` reports per block. The addon
// is chosen once per process, so the TypeScript path runs in a child started with SIFT_NO_BLAS=1; both
// paths must find the same kept set and the same error (printed), or the speed means nothing.
//
//   npm run build && node dist/bench/osscar-linalg.js [--tokens 4096] [--name osscar-linalg]
// Results: bench/results/osscar-linalg.json (or <--name>.json).

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  gemm64,
  linalgBackend,
  magnitudePrune,
  osscarPrune,
  reconstructionError,
} from '../src/compress/index.js';
import { Mulberry32 } from '../src/util/index.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

interface Shape {
  name: string;
  /** Inputs p (rows of W), outputs q, rows per group, groups kept. */
  p: number;
  q: number;
  groupSize: number;
  keep: number;
}

const SHAPES: Shape[] = [
  { name: 'SmolLM2-135M MLP (down_proj), 50%', p: 1536, q: 576, groupSize: 1, keep: 768 },
  { name: 'MiniLM-L6 MLP (output.dense), 50%', p: 1536, q: 384, groupSize: 1, keep: 768 },
  { name: 'MiniLM-L6 heads (attention.output.dense), 50%', p: 384, q: 384, groupSize: 32, keep: 6 },
];

interface Measured {
  seconds: number;
  kept: number[];
  relativeError: number;
  magnitudeRelativeError: number;
}

function measure(shape: Shape, tokens: number): Measured {
  const rng = new Mulberry32(7);
  const { p, q } = shape;
  const base = Float64Array.from({ length: tokens * p }, () => rng.normal());
  const x = new Float64Array(tokens * p);
  for (let r = 0; r < tokens; r++) {
    for (let c = 0; c < p; c++) {
      x[r * p + c] = base[r * p + c]! + 0.6 * base[r * p + ((c + 1) % p)]! + 0.4 * base[r * p]!;
    }
  }
  const weights = Float64Array.from({ length: p * q }, () => rng.normal());
  const started = performance.now();
  const gram = new Float64Array(p * p);
  gemm64({
    transA: true,
    transB: false,
    m: p,
    n: p,
    k: tokens,
    alpha: 1,
    a: x,
    lda: p,
    b: x,
    ldb: p,
    beta: 0,
    c: gram,
    ldc: p,
  });
  const problem = { gram, weights, inputs: p, outputs: q, groupSize: shape.groupSize };
  const solution = osscarPrune(problem, { keep: shape.keep });
  const relativeError = reconstructionError(problem, solution).relative;
  const magnitudeRelativeError = reconstructionError(
    problem,
    magnitudePrune(problem, { keep: shape.keep }),
  ).relative;
  return {
    seconds: (performance.now() - started) / 1000,
    kept: solution.kept,
    relativeError,
    magnitudeRelativeError,
  };
}

const tokens = positiveIntArg('--tokens', 4096);
if (process.argv.includes('--child')) {
  console.log(
    JSON.stringify({ backend: linalgBackend(), results: SHAPES.map((shape) => measure(shape, tokens)) }),
  );
} else {
  const run = (noBlas: boolean): { backend: string; results: Measured[] } => {
    const env = { ...process.env, ...(noBlas ? { SIFT_NO_BLAS: '1' } : {}) };
    const script = fileURLToPath(import.meta.url);
    const child = spawnSync(process.execPath, [script, '--child', '--tokens', String(tokens)], {
      env,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    if (child.status !== 0) throw new Error(`child (SIFT_NO_BLAS=${noBlas ? 1 : 0}) failed: ${child.stderr}`);
    return JSON.parse(child.stdout) as { backend: string; results: Measured[] };
  };
  if (linalgBackend() !== 'openblas')
    throw new Error('this machine has no native double-precision path to measure');
  const native = run(false);
  const portable = run(true);
  const rows = SHAPES.map((shape, i) => {
    const a = native.results[i]!;
    const b = portable.results[i]!;
    return {
      shape: shape.name,
      [`${native.backend} s`]: a.seconds,
      [`${portable.backend} s`]: b.seconds,
      speedup: b.seconds / a.seconds,
      'same kept set': a.kept.join() === b.kept.join() ? 'yes' : 'NO',
      'OSSCAR rel. error': a.relativeError,
      'error difference': Math.abs(a.relativeError - b.relativeError),
      'magnitude rel. error': a.magnitudeRelativeError,
    };
  });
  printTable(rows);
  writeResult(stringArg('--name', 'osscar-linalg'), {
    machine: machineInfo(),
    tokens,
    shapes: SHAPES,
    backends: [native.backend, portable.backend],
    rows,
  });
}
