// Training losses, each returning the mean loss and its gradient with respect to the model's outputs.
//
// Pointwise: BCE on soft targets in [0, 1] (the judge's normalised expected grade), and KL(p ‖ q) against
// a soft label distribution (the judge's grade distribution over a C-logit head; with one logit, the binary
// distribution [1 − p, p] against [1 − σ(s), σ(s)]). Listwise: softmax cross-entropy over one query's
// candidates. Bi-encoders: MarginMSE (Hofstätter et al. 2020). Distillation: the multi-teacher mix
// α·KL(p_a ‖ q) + (1 − α)·KL(p_b ‖ q) of LinkedIn's student ranker. Conventions follow PyTorch:
// `binary_cross_entropy_with_logits` (mean), `kl_div(log_softmax(s), p, reduction="batchmean")`.

export interface LossResult {
  loss: number;
  /** dLoss/doutput, the shape of the output. */
  grad: Float32Array;
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** Mean binary cross-entropy of logits s against targets y ∈ [0, 1]; d/ds = (σ(s) − y)/N. */
export function bceWithLogits(logits: Float32Array, targets: ArrayLike<number>): LossResult {
  const n = logits.length;
  const grad = new Float32Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const s = logits[i]!;
    const y = targets[i]!;
    loss += softplus(s) - s * y;
    grad[i] = (sigmoid(s) - y) / n;
  }
  return { loss: loss / n, grad };
}

/** p·log p with 0·log 0 = 0. */
function plogp(p: number): number {
  return p > 0 ? p * Math.log(p) : 0;
}

/**
 * Mean over rows of KL(p ‖ softmax(s)), logits [rows, classes]. One class means a binary head:
 * q = σ(s) and the target is P(relevant). d/ds = (q − p)/rows either way.
 */
export function klDivergence(logits: Float32Array, targets: ArrayLike<number>, classes: number): LossResult {
  return mixedKl(logits, [{ weight: 1, targets }], classes);
}

/** α·KL(p_a ‖ q) + (1 − α)·KL(p_b ‖ q), the multi-teacher distillation loss; α ∈ [0, 1]. */
export function multiTeacherKl(
  logits: Float32Array,
  teacherA: ArrayLike<number>,
  teacherB: ArrayLike<number>,
  alpha: number,
  classes: number,
): LossResult {
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha ${alpha} is not in [0, 1]`);
  return mixedKl(
    logits,
    [
      { weight: alpha, targets: teacherA },
      { weight: 1 - alpha, targets: teacherB },
    ],
    classes,
  );
}

function mixedKl(
  logits: Float32Array,
  teachers: readonly { weight: number; targets: ArrayLike<number> }[],
  classes: number,
): LossResult {
  const grad = new Float32Array(logits.length);
  let loss = 0;
  if (classes === 1) {
    const n = logits.length;
    for (let i = 0; i < n; i++) {
      const s = logits[i]!;
      const q = sigmoid(s);
      // log q = −softplus(−s), log(1 − q) = −softplus(s): exact for large |s|.
      for (const { weight, targets } of teachers) {
        const p = targets[i]!;
        loss += weight * (plogp(p) + plogp(1 - p) + p * softplus(-s) + (1 - p) * softplus(s));
        grad[i]! += (weight * (q - p)) / n;
      }
    }
    return { loss: loss / n, grad };
  }
  const rows = logits.length / classes;
  const logq = new Float64Array(classes);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c]! - max);
    const logSum = max + Math.log(sum);
    for (let c = 0; c < classes; c++) logq[c] = logits[base + c]! - logSum;
    for (const { weight, targets } of teachers) {
      for (let c = 0; c < classes; c++) {
        const p = targets[base + c]!;
        loss += weight * (plogp(p) - p * logq[c]!);
        grad[base + c]! += (weight * (Math.exp(logq[c]!) - p)) / rows;
      }
    }
  }
  return { loss: loss / rows, grad };
}

/** One query's candidates: `count` consecutive scores starting at `start`. */
export interface CandidateGroup {
  start: number;
  count: number;
}

/**
 * Listwise softmax cross-entropy: per query, −Σ p_i·log softmax(s)_i where p is the query's targets
 * (grades or soft labels ≥ 0) divided by their sum; the mean over queries with some positive target
 * (a query whose targets are all 0 has no distribution and is skipped).
 */
export function listwiseSoftmaxCe(
  scores: Float32Array,
  targets: ArrayLike<number>,
  groups: readonly CandidateGroup[],
): LossResult {
  const grad = new Float32Array(scores.length);
  const used = groups.filter((g) => {
    let total = 0;
    for (let i = g.start; i < g.start + g.count; i++) total += targets[i]!;
    return total > 0;
  });
  let loss = 0;
  for (const { start, count } of used) {
    let max = Number.NEGATIVE_INFINITY;
    let total = 0;
    for (let i = start; i < start + count; i++) {
      max = Math.max(max, scores[i]!);
      total += targets[i]!;
    }
    let sum = 0;
    for (let i = start; i < start + count; i++) sum += Math.exp(scores[i]! - max);
    const logSum = max + Math.log(sum);
    for (let i = start; i < start + count; i++) {
      const p = targets[i]! / total;
      const logq = scores[i]! - logSum;
      loss -= p * logq;
      grad[i] = (Math.exp(logq) - p) / used.length;
    }
  }
  return { loss: used.length ? loss / used.length : 0, grad };
}

export interface MarginMseResult {
  loss: number;
  query: Float32Array;
  positive: Float32Array;
  negative: Float32Array;
}

/**
 * MarginMSE for bi-encoders: mean over rows of ((q·d⁺ − q·d⁻) − m)², m the teacher's margin
 * (its score of the positive minus the negative). Embeddings are [rows, width]; returns the loss and
 * the gradients for the three embedding matrices.
 */
export function marginMse(
  query: Float32Array,
  positive: Float32Array,
  negative: Float32Array,
  teacherMargins: ArrayLike<number>,
  width: number,
): MarginMseResult {
  const rows = teacherMargins.length;
  const dq = new Float32Array(query.length);
  const dp = new Float32Array(positive.length);
  const dn = new Float32Array(negative.length);
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let margin = 0;
    for (let j = 0; j < width; j++) margin += query[base + j]! * (positive[base + j]! - negative[base + j]!);
    const diff = margin - teacherMargins[r]!;
    loss += diff * diff;
    const e = (2 * diff) / rows;
    for (let j = 0; j < width; j++) {
      dq[base + j] = e * (positive[base + j]! - negative[base + j]!);
      dp[base + j] = e * query[base + j]!;
      dn[base + j] = -e * query[base + j]!;
    }
  }
  return { loss: loss / rows, query: dq, positive: dp, negative: dn };
}

export interface MultipleNegativesResult {
  /** Mean over (query, positive) pairs; 0 when the batch has no positive. */
  loss: number;
  /** How many (query, positive) pairs the loss averages. */
  pairs: number;
  /** dLoss/dqueries, [queries, width]. */
  queries: Float32Array;
  /** dLoss/ddocuments, [documents, width]. */
  documents: Float32Array;
}

/**
 * Multiple-negatives ranking with hard negatives, the bi-encoder loss of sentence-transformers'
 * MultipleNegativesRankingLoss (Henderson et al. 2017; DPR, Karpukhin et al. 2020): scores are
 * scale·cos(q, d) of unnormalised embeddings; each (query, positive) pair is a softmax cross-entropy of the
 * positive against every document of the batch except the query's other positives, so the query's hard
 * negatives and every other query's documents are its negatives. Gradients flow through the
 * normalisation. `queryOf[d]` is document d's query; `positive[d]` says whether d is a positive of it.
 */
export function multipleNegativesRanking(
  queries: Float32Array,
  documents: Float32Array,
  width: number,
  queryOf: ArrayLike<number>,
  positive: ArrayLike<boolean | number>,
  scale: number,
): MultipleNegativesResult {
  const nq = queries.length / width;
  const nd = documents.length / width;
  const unit = (x: Float32Array, rows: number) => {
    const norms = new Float64Array(rows);
    const y = new Float32Array(x.length);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let j = 0; j < width; j++) sum += x[r * width + j]! ** 2;
      norms[r] = Math.max(Math.sqrt(sum), 1e-12);
      for (let j = 0; j < width; j++) y[r * width + j] = x[r * width + j]! / norms[r]!;
    }
    return { y, norms };
  };
  const q = unit(queries, nq);
  const d = unit(documents, nd);
  const scores = new Float64Array(nq * nd);
  for (let i = 0; i < nq; i++)
    for (let k = 0; k < nd; k++) {
      let dot = 0;
      for (let j = 0; j < width; j++) dot += q.y[i * width + j]! * d.y[k * width + j]!;
      scores[i * nd + k] = scale * dot;
    }
  const pairs: number[] = [];
  for (let k = 0; k < nd; k++) if (positive[k]) pairs.push(k);
  const dScores = new Float64Array(nq * nd);
  let loss = 0;
  for (const p of pairs) {
    const i = queryOf[p]!;
    const kept = (k: number) => k === p || !(queryOf[k] === i && positive[k]);
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < nd; k++) if (kept(k)) max = Math.max(max, scores[i * nd + k]!);
    let sum = 0;
    for (let k = 0; k < nd; k++) if (kept(k)) sum += Math.exp(scores[i * nd + k]! - max);
    const logSum = max + Math.log(sum);
    loss += logSum - scores[i * nd + p]!;
    for (let k = 0; k < nd; k++)
      if (kept(k)) dScores[i * nd + k]! += Math.exp(scores[i * nd + k]! - logSum) / pairs.length;
    dScores[i * nd + p]! -= 1 / pairs.length;
  }
  // Through the cosine: dŷ from the score matrix, then x = ŷ·‖x‖ back to x: (dŷ − ŷ(ŷ·dŷ)) / ‖x‖.
  const dUnitQ = new Float64Array(queries.length);
  const dUnitD = new Float64Array(documents.length);
  for (let i = 0; i < nq; i++)
    for (let k = 0; k < nd; k++) {
      const g = scale * dScores[i * nd + k]!;
      if (g === 0) continue;
      for (let j = 0; j < width; j++) {
        dUnitQ[i * width + j]! += g * d.y[k * width + j]!;
        dUnitD[k * width + j]! += g * q.y[i * width + j]!;
      }
    }
  const throughNorm = (
    dUnit: Float64Array,
    unitRows: { y: Float32Array; norms: Float64Array },
    rows: number,
  ) => {
    const dx = new Float32Array(dUnit.length);
    for (let r = 0; r < rows; r++) {
      let dot = 0;
      for (let j = 0; j < width; j++) dot += unitRows.y[r * width + j]! * dUnit[r * width + j]!;
      for (let j = 0; j < width; j++)
        dx[r * width + j] = (dUnit[r * width + j]! - unitRows.y[r * width + j]! * dot) / unitRows.norms[r]!;
    }
    return dx;
  };
  return {
    loss: pairs.length ? loss / pairs.length : 0,
    pairs: pairs.length,
    queries: throughNorm(dUnitQ, q, nq),
    documents: throughNorm(dUnitD, d, nd),
  };
}
