// A ranker's cost per candidate as the model worker measures it, with how much it varies: the mean and
// mean deviation, each smoothed exponentially (Jacobson and Karels' round-trip estimator, as TCP sizes its
// retransmission timer). A chunk under a latency budget is sized by the mean plus twice the deviation, so
// a ranker slowed by a moment of contention overruns the budget rarely instead of by one chunk in two.

/** Weight of a new measurement in the mean and in the deviation. */
const GAIN = 0.3;
/** Deviations added to the mean for the cost a budget must cover. */
const MARGIN = 2;

export class SpeedEstimate {
  private mean: number;
  private deviation: number;

  /** Starts from one measurement, in ms per candidate; its deviation is taken as half of it. */
  constructor(firstMs: number) {
    this.mean = firstMs;
    this.deviation = firstMs / 2;
  }

  /** Folds in a measured chunk: `ms` for `candidates` candidates. */
  update(ms: number, candidates: number): void {
    const measured = ms / candidates;
    const error = measured - this.mean;
    this.mean += GAIN * error;
    this.deviation += GAIN * (Math.abs(error) - this.deviation);
  }

  /** The expected ms per candidate: sizes chunks by their length in time. */
  get expectedMs(): number {
    return this.mean;
  }

  /** The ms per candidate a budget should allow for: the mean plus a margin for how much it varies. */
  get cautiousMs(): number {
    return this.mean + MARGIN * this.deviation;
  }
}
