// RMSNorm over the last dimension, y = x / √(mean(x²) + ε) · w, as Hugging Face's LlamaRMSNorm (the
// Llama and Qwen2 blocks' norm: no mean subtraction, no bias), with its backward pass:
// dx = rstd·(ĝ − x̂·mean(ĝ·x̂)) where ĝ = dy·w and x̂ = x·rstd.

import { type Module, Parameter } from './parameter.js';

export class RmsNorm implements Module {
  private normalized: Float32Array | undefined;
  private rstd: Float32Array | undefined;

  constructor(
    readonly weight: Parameter,
    readonly eps: number,
  ) {}

  static create(name: string, weight: Float32Array, eps: number): RmsNorm {
    return new RmsNorm(new Parameter(`${name}.weight`, [weight.length], weight, false), eps);
  }

  parameters(): Parameter[] {
    return [this.weight];
  }

  /** x: [rows, width] → y: [rows, width]. */
  forward(x: Float32Array, rows: number): Float32Array {
    const width = this.weight.size;
    const w = this.weight.data;
    const y = new Float32Array(rows * width);
    const normalized = new Float32Array(rows * width);
    const rstd = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const base = r * width;
      let sq = 0;
      for (let j = 0; j < width; j++) sq += x[base + j]! * x[base + j]!;
      const inv = 1 / Math.sqrt(sq / width + this.eps);
      rstd[r] = inv;
      for (let j = 0; j < width; j++) {
        const n = x[base + j]! * inv;
        normalized[base + j] = n;
        y[base + j] = n * w[j]!;
      }
    }
    this.normalized = normalized;
    this.rstd = rstd;
    return y;
  }

  backward(dy: Float32Array): Float32Array {
    const normalized = this.normalized;
    const rstd = this.rstd;
    if (!normalized || !rstd) throw new Error('RmsNorm.backward before forward');
    const width = this.weight.size;
    const w = this.weight.data;
    // A frozen weight's gradient goes to a scratch row that is dropped.
    const dw = this.weight.frozen ? new Float32Array(width) : this.weight.grad;
    const dx = new Float32Array(dy.length);
    for (let r = 0; r < rstd.length; r++) {
      const base = r * width;
      let meanGx = 0;
      for (let j = 0; j < width; j++) {
        const d = dy[base + j]!;
        const n = normalized[base + j]!;
        dw[j]! += d * n;
        meanGx += d * w[j]! * n;
      }
      meanGx /= width;
      const inv = rstd[r]!;
      for (let j = 0; j < width; j++)
        dx[base + j] = inv * (dy[base + j]! * w[j]! - normalized[base + j]! * meanGx);
    }
    this.normalized = undefined;
    this.rstd = undefined;
    return dx;
  }
}
