// Adaptive ranking depth: how many first-stage candidates a reranked search asks the ranker to score, so
// that reranking answers within its latency budget at any load (../shared/SYSTEM.md §6: LinkedIn's PID controller
// lowers depth 250 → 130 at peak).
//
// Feed-forward from what is measured: with `w` ranker workers scoring r candidates per ms each and q
// reranked requests in flight (served in turn), the last in line waits for all of them, so the depth
// that fits a target latency T is T · r · w / q. A PID loop on the observed rerank latency against T
// trims that estimate (a multiplier, 0.2–2), absorbing what the model misses (other load on the cores,
// the first stage's share of the budget). The result is clamped to [floor, ceiling]; the worker's own
// budget check still stops scoring at the last chunk that fits, so the floor never breaks the budget.

export interface DepthControllerOptions {
  /** Least depth the controller asks for. */
  floor: number;
  /** Most depth the controller asks for (and the depth before any measurement). */
  ceiling: number;
  /** Ranker workers scoring in parallel. */
  workers: number;
  /** Fraction of the budget aimed at, leaving headroom for jitter. Default 0.8. */
  targetFraction?: number;
  /** PID gains on the normalised latency error (target − observed) / target. */
  gains?: { kp: number; ki: number; kd: number };
}

export interface DepthObservation {
  /** Candidates the ranker scored for the request. */
  scored: number;
  /** Time the worker spent scoring them, ms. */
  scoringMs: number;
  /** The rerank stage's latency as the request saw it (queueing included), ms. */
  latencyMs: number;
  budgetMs: number;
}

export class DepthController {
  private msPerCandidate: number | undefined;
  private trim = 1;
  private integral = 0;
  private lastError = 0;
  private readonly target: number;
  private readonly gains: { kp: number; ki: number; kd: number };

  constructor(private readonly options: DepthControllerOptions) {
    this.target = options.targetFraction ?? 0.8;
    this.gains = options.gains ?? { kp: 0.6, ki: 0.15, kd: 0.2 };
  }

  /** The depth to ask for now, with `inFlight` reranked requests in flight (this one included). */
  depth(budgetMs: number, inFlight: number): number {
    const { floor, ceiling, workers } = this.options;
    if (this.msPerCandidate === undefined) return ceiling;
    const feedForward = (this.target * budgetMs * workers) / (this.msPerCandidate * Math.max(1, inFlight));
    return Math.round(Math.min(ceiling, Math.max(floor, feedForward * this.trim)));
  }

  observe(observation: DepthObservation): void {
    const { scored, scoringMs, latencyMs, budgetMs } = observation;
    if (scored > 0 && scoringMs > 0) {
      const measured = scoringMs / scored;
      this.msPerCandidate =
        this.msPerCandidate === undefined ? measured : 0.8 * this.msPerCandidate + 0.2 * measured;
    }
    const target = this.target * budgetMs;
    const error = (target - latencyMs) / target;
    this.integral = Math.min(3, Math.max(-3, this.integral + error));
    const derivative = error - this.lastError;
    this.lastError = error;
    const { kp, ki, kd } = this.gains;
    this.trim = Math.min(2, Math.max(0.2, 1 + kp * error + ki * this.integral + kd * derivative));
  }

  /** The measured scoring cost, ms per candidate (undefined before the first reranked request). */
  get costPerCandidate(): number | undefined {
    return this.msPerCandidate;
  }
}
