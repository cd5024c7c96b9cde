// LayerNorm over the last dimension, y = (x − μ)/√(σ² + ε)·γ + β, as torch.nn.LayerNorm, with its backward
// pass: dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) where ĝ = dy·γ.

import { type Module, Parameter } from './parameter.js';

export class LayerNorm implements Module {
  private normalized: Float32Array | undefined;
  private rstd: Float32Array | undefined;

  constructor(
    readonly gamma: Parameter,
    readonly beta: Parameter,
    readonly eps: number,
  ) {}

  static create(name: string, gamma: Float32Array, beta: Float32Array, eps: number): LayerNorm {
    return new LayerNorm(
      new Parameter(`${name}.weight`, [gamma.length], gamma, false),
      new Parameter(`${name}.bias`, [beta.length], beta, false),
      eps,
    );
  }

  parameters(): Parameter[] {
    return [this.gamma, this.beta];
  }

  forward(x: Float32Array, rows: number): Float32Array {
    const width = this.gamma.size;
    const g = this.gamma.data;
    const b = this.beta.data;
    const y = new Float32Array(rows * width);
    const normalized = new Float32Array(rows * width);
    const rstd = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const base = r * width;
      let sum = 0;
      for (let j = 0; j < width; j++) sum += x[base + j]!;
      const mean = sum / width;
      let sq = 0;
      for (let j = 0; j < width; j++) {
        const d = x[base + j]! - mean;
        sq += d * d;
      }
      const inv = 1 / Math.sqrt(sq / width + this.eps);
      rstd[r] = inv;
      for (let j = 0; j < width; j++) {
        const n = (x[base + j]! - mean) * inv;
        normalized[base + j] = n;
        y[base + j] = n * g[j]! + b[j]!;
      }
    }
    this.normalized = normalized;
    this.rstd = rstd;
    return y;
  }

  backward(dy: Float32Array): Float32Array {
    const normalized = this.normalized;
    const rstd = this.rstd;
    if (!normalized || !rstd) throw new Error('LayerNorm.backward before forward');
    const width = this.gamma.size;
    const g = this.gamma.data;
    const dg = this.gamma.grad;
    const db = this.beta.grad;
    const dx = new Float32Array(dy.length);
    for (let r = 0; r < rstd.length; r++) {
      const base = r * width;
      let meanG = 0;
      let meanGx = 0;
      for (let j = 0; j < width; j++) {
        const d = dy[base + j]!;
        const n = normalized[base + j]!;
        dg[j]! += d * n;
        db[j]! += d;
        const gh = d * g[j]!;
        meanG += gh;
        meanGx += gh * n;
      }
      meanG /= width;
      meanGx /= width;
      const inv = rstd[r]!;
      for (let j = 0; j < width; j++) {
        const gh = dy[base + j]! * g[j]!;
        dx[base + j] = inv * (gh - meanG - normalized[base + j]! * meanGx);
      }
    }
    this.normalized = undefined;
    this.rstd = undefined;
    return dx;
  }
}
