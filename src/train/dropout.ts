// Inverted dropout: zero each value with probability p and scale the rest by 1/(1 − p), as torch.nn.Dropout
// in training mode. Off (p = 0) by default in sift's training options; the mask comes from the trainer's
// saved Mulberry32 so resumed runs drop the same units.

import type { Mulberry32 } from '../util/index.js';

export class Dropout {
  private mask: Float32Array | undefined;

  constructor(
    readonly p: number,
    private readonly rng: () => Mulberry32 | undefined,
  ) {
    if (!(p >= 0 && p < 1)) throw new RangeError(`dropout probability ${p} is not in [0, 1)`);
  }

  forward(x: Float32Array): Float32Array {
    const rng = this.rng();
    if (this.p === 0 || !rng) {
      this.mask = undefined;
      return x;
    }
    const keep = 1 / (1 - this.p);
    const mask = new Float32Array(x.length);
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const m = rng.next() < this.p ? 0 : keep;
      mask[i] = m;
      y[i] = x[i]! * m;
    }
    this.mask = mask;
    return y;
  }

  /** The mask of the last forward call (undefined when nothing was dropped), handed over to the caller. */
  takeMask(): Float32Array | undefined {
    const mask = this.mask;
    this.mask = undefined;
    return mask;
  }

  backward(dy: Float32Array): Float32Array {
    const mask = this.mask;
    if (!mask) return dy;
    const dx = new Float32Array(dy.length);
    for (let i = 0; i < dy.length; i++) dx[i] = dy[i]! * mask[i]!;
    this.mask = undefined;
    return dx;
  }
}
