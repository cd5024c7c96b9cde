// How long a ranker takes to score a chunk of candidates, predicted from the tokens it will read, so that a
// latency budget is filled without being overrun (../shared/SYSTEM.md §6: ranking depth under a budget).
//
// A model's cost per candidate is not a constant: SmolLM2-135M scoring by query likelihood took 144 ms
// for a 129-token prompt and about 330 ms for a 289-token one (traced in the serving worker), so a mean cost
// per candidate sizes a chunk right on average and overruns the budget whenever the next candidate is a
// long one. The cost is modelled as ms ≈ a·candidates + b·tokens (a fixed part per candidate, such as its
// output head, and the per-token work), fitted by least squares with exponential forgetting, so that a
// change in speed (the machine getting busy) is followed within a few chunks. A chunk is admitted under a
// budget only when its prediction plus the recent under-predictions fits: the margin is learned from how
// wrong the model has been, not fixed.

/** Weight of an observation relative to the one after it: about the last 10 chunks count. */
const FORGET = 0.9;
/** Margin = this many times the recent mean under-prediction (relative). */
const MARGIN_DEVIATIONS = 2;

export class ScoringCost {
  // Exponentially weighted sums for the normal equations of ms = a·k + b·t (k candidates, t tokens).
  private kk = 0;
  private kt = 0;
  private tt = 0;
  private ky = 0;
  private ty = 0;
  private observations = 0;
  /** Exponentially weighted mean of max(0, actual / predicted − 1). */
  private underPrediction = 0;

  /** Records that scoring `candidates` candidates of `tokens` tokens in all took `ms`. */
  observe(candidates: number, tokens: number, ms: number): void {
    if (!(candidates > 0) || !(tokens >= 0) || !Number.isFinite(ms) || ms < 0) return;
    const predicted = this.predict(candidates, tokens);
    if (predicted !== undefined && predicted > 0) {
      const under = Math.max(0, ms / predicted - 1);
      this.underPrediction = FORGET * this.underPrediction + (1 - FORGET) * under;
    }
    this.kk = FORGET * this.kk + candidates * candidates;
    this.kt = FORGET * this.kt + candidates * tokens;
    this.tt = FORGET * this.tt + tokens * tokens;
    this.ky = FORGET * this.ky + candidates * ms;
    this.ty = FORGET * this.ty + tokens * ms;
    this.observations++;
  }

  /** Expected ms for `candidates` candidates of `tokens` tokens in all; undefined before any observation. */
  predict(candidates: number, tokens: number): number | undefined {
    if (this.observations === 0) return undefined;
    const fit = this.coefficients();
    return fit.perCandidate * candidates + fit.perToken * tokens;
  }

  /** The prediction with the learned margin: what a budget must have left for the chunk to be admitted. */
  cautious(candidates: number, tokens: number): number | undefined {
    const predicted = this.predict(candidates, tokens);
    return predicted === undefined ? undefined : predicted * (1 + MARGIN_DEVIATIONS * this.underPrediction);
  }

  /**
   * a and b of ms = a·k + b·t. When the two cannot be told apart (every chunk the same length per
   * candidate, or a ranker that reports no tokens) or the fit goes negative, the cost is taken as
   * proportional to tokens alone, the larger share of a transformer's work.
   */
  private coefficients(): { perCandidate: number; perToken: number } {
    const det = this.kk * this.tt - this.kt * this.kt;
    if (det > 1e-9 * this.kk * this.tt) {
      const perCandidate = (this.ky * this.tt - this.ty * this.kt) / det;
      const perToken = (this.ty * this.kk - this.ky * this.kt) / det;
      if (perCandidate >= 0 && perToken >= 0) return { perCandidate, perToken };
    }
    if (this.tt > 0) return { perCandidate: 0, perToken: this.ty / this.tt };
    return { perCandidate: this.ky / this.kk, perToken: 0 };
  }
}
