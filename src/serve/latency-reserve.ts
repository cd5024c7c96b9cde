// Time a reranked search must keep back from its budget for work the budget cannot stop: its first stage
// (it has to run before anything can be answered) and what follows the end of scoring (the budget's
// timer firing on a busy event loop, snippets, the reply). Without it, a search whose scoring stopped
// exactly at the budget still answered tens of milliseconds after it, and one admitted just before its
// budget ran out answered a whole first stage later.
//
// Each part is estimated as TCP estimates its retransmission timeout (RFC 6298): a smoothed mean and a
// smoothed mean deviation, and the reserve is mean + 4 deviations, an upper bound that follows a load
// change within a few requests and is not raised for long by one outlier.

const GAIN = 1 / 8;
const DEVIATION_GAIN = 1 / 4;
const DEVIATIONS = 4;

export class LatencyReserve {
  private mean: number | undefined;
  private deviation = 0;

  observe(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const value = Math.max(0, ms);
    if (this.mean === undefined) {
      this.mean = value;
      this.deviation = value / 2;
      return;
    }
    this.deviation = (1 - DEVIATION_GAIN) * this.deviation + DEVIATION_GAIN * Math.abs(value - this.mean);
    this.mean = (1 - GAIN) * this.mean + GAIN * value;
  }

  /** ms to keep back: 0 before any observation. */
  get ms(): number {
    return this.mean === undefined ? 0 : this.mean + DEVIATIONS * this.deviation;
  }
}
