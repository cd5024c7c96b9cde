// A bounded min-heap that keeps the k best (score, doc ordinal) pairs seen in a scan.
//
// Ties are broken towards the lower ordinal (the earlier-added document), so results are
// deterministic whatever order the scan visits documents in.

export interface ScoredOrdinal {
  ord: number;
  score: number;
}

export class TopKCollector {
  private readonly scores: Float64Array;
  private readonly ords: Int32Array;
  private size = 0;

  constructor(readonly k: number) {
    this.scores = new Float64Array(Math.max(k, 1));
    this.ords = new Int32Array(Math.max(k, 1));
  }

  /** The score a candidate must beat to enter (−∞ until the heap is full). */
  get threshold(): number {
    return this.size < this.k ? Number.NEGATIVE_INFINITY : this.scores[0]!;
  }

  offer(ord: number, score: number): void {
    if (this.k === 0) return;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(ord, score, this.ords[parent]!, this.scores[parent]!)) break;
        this.scores[i] = this.scores[parent]!;
        this.ords[i] = this.ords[parent]!;
        i = parent;
      }
      this.scores[i] = score;
      this.ords[i] = ord;
      return;
    }
    if (!this.worse(this.ords[0]!, this.scores[0]!, ord, score)) return;
    this.siftDown(ord, score);
  }

  /** The collected pairs, best first. */
  results(): ScoredOrdinal[] {
    const out: ScoredOrdinal[] = [];
    for (let i = 0; i < this.size; i++) out.push({ ord: this.ords[i]!, score: this.scores[i]! });
    return out.sort((a, b) => b.score - a.score || a.ord - b.ord);
  }

  /** True when (ordA, scoreA) ranks below (ordB, scoreB). */
  private worse(ordA: number, scoreA: number, ordB: number, scoreB: number): boolean {
    return scoreA < scoreB || (scoreA === scoreB && ordA > ordB);
  }

  private siftDown(ord: number, score: number): void {
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.size) break;
      const right = left + 1;
      let child = left;
      if (
        right < this.size &&
        this.worse(this.ords[right]!, this.scores[right]!, this.ords[left]!, this.scores[left]!)
      ) {
        child = right;
      }
      if (!this.worse(this.ords[child]!, this.scores[child]!, ord, score)) break;
      this.scores[i] = this.scores[child]!;
      this.ords[i] = this.ords[child]!;
      i = child;
    }
    this.scores[i] = score;
    this.ords[i] = ord;
  }
}
