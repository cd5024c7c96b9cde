// AdamW (Loshchilov & Hutter 2019): Adam with weight decay decoupled from the gradient, as torch.optim.AdamW:
//   θ ← θ − lr·λ·θ;  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
//   θ ← θ − lr·(m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε).
// Parameters with `decay: false` (biases, LayerNorm) get no weight decay, the usual BERT fine-tuning recipe.
// The update runs in the native addon when it is loaded (float32, two threads), else in TypeScript.

import { loadNativeBlas } from '../runtime/index.js';
import type { Parameter } from './parameter.js';

const native = loadNativeBlas();

export interface AdamWOptions {
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8 (torch's default; HF Trainer's too). */
  eps?: number;
  /** Decoupled weight decay λ. Default 0.01 (HF Trainer's usual setting). */
  weightDecay?: number;
  /**
   * Each parameter's learning rate as a multiple of the one `update` is given (torch's parameter
   * groups): e.g. a new head learning faster than the pretrained weights under it. Default 1 for all.
   */
  learningRateScale?: (p: Parameter) => number;
}

export class AdamW {
  /** Steps taken (t in the bias corrections). */
  step = 0;
  readonly m: Float32Array[];
  readonly v: Float32Array[];
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  private readonly scales: readonly number[];

  constructor(
    readonly params: readonly Parameter[],
    options: AdamWOptions = {},
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    this.scales = params.map((p) => options.learningRateScale?.(p) ?? 1);
    this.m = params.map((p) => new Float32Array(p.size));
    this.v = params.map((p) => new Float32Array(p.size));
  }

  /** One update at learning rate `baseLr` (times each parameter's scale) from the current gradients. */
  update(baseLr: number): void {
    this.step++;
    const { beta1: b1, beta2: b2, eps } = this;
    const c1 = 1 - b1 ** this.step;
    const c2 = 1 - b2 ** this.step;
    this.params.forEach((p, i) => {
      const lr = baseLr * this.scales[i]!;
      const m = this.m[i]!;
      const v = this.v[i]!;
      const g = p.grad;
      const w = p.data;
      const shrink = p.decay ? 1 - lr * this.weightDecay : 1;
      const stepSize = lr / c1;
      const rootC2 = Math.sqrt(c2);
      if (native) {
        native.adamw(w, g, m, v, stepSize, b1, b2, eps, rootC2, shrink);
        return;
      }
      for (let j = 0; j < w.length; j++) {
        const gj = g[j]!;
        const mj = b1 * m[j]! + (1 - b1) * gj;
        const vj = b2 * v[j]! + (1 - b2) * gj * gj;
        m[j] = mj;
        v[j] = vj;
        w[j] = w[j]! * shrink - (stepSize * mj) / (Math.sqrt(vj) / rootC2 + eps);
      }
    });
  }
}
