// A fully connected layer, y = x·Wᵀ + b, as torch.nn.Linear (W stored [out, in]), with its backward pass.

import { gemm } from './gemm.js';
import { type Module, Parameter } from './parameter.js';

export class Linear implements Module {
  private input: Float32Array | undefined;
  private rows = 0;

  constructor(
    readonly weight: Parameter,
    readonly bias: Parameter | undefined,
  ) {}

  static create(
    name: string,
    weight: Float32Array,
    bias: Float32Array | undefined,
    inFeatures: number,
  ): Linear {
    const outFeatures = weight.length / inFeatures;
    return new Linear(
      new Parameter(`${name}.weight`, [outFeatures, inFeatures], weight, true),
      bias ? new Parameter(`${name}.bias`, [outFeatures], bias, false) : undefined,
    );
  }

  get inFeatures(): number {
    return this.weight.shape[1]!;
  }

  get outFeatures(): number {
    return this.weight.shape[0]!;
  }

  /** The input of the last forward pass ([rows, in]): pruning reads a layer's calibration inputs here. */
  get lastInput(): { data: Float32Array; rows: number } | undefined {
    return this.input ? { data: this.input, rows: this.rows } : undefined;
  }

  parameters(): Parameter[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  /** x: [rows, in] → [rows, out]. Keeps x for the backward pass. */
  forward(x: Float32Array, rows: number): Float32Array {
    const { inFeatures: n, outFeatures: o } = this;
    this.input = x;
    this.rows = rows;
    const y = new Float32Array(rows * o);
    if (this.bias) for (let r = 0; r < rows; r++) y.set(this.bias.data, r * o);
    gemm({
      transA: false,
      transB: true,
      m: rows,
      n: o,
      k: n,
      a: x,
      lda: n,
      b: this.weight.data,
      ldb: n,
      beta: this.bias ? 1 : 0,
      c: y,
      ldc: o,
    });
    return y;
  }

  /** dy: [rows, out] → dx: [rows, in]; adds dW = dyᵀ·x and db = Σ dy to the gradients. */
  backward(dy: Float32Array): Float32Array {
    const x = this.input;
    if (!x) throw new Error('Linear.backward before forward');
    const { inFeatures: n, outFeatures: o } = this;
    const rows = this.rows;
    if (!this.weight.frozen)
      gemm({
        transA: true,
        transB: false,
        m: o,
        n,
        k: rows,
        a: dy,
        lda: o,
        b: x,
        ldb: n,
        beta: 1,
        c: this.weight.grad,
        ldc: n,
      });
    if (this.bias && !this.bias.frozen) {
      const g = this.bias.grad;
      for (let r = 0; r < rows; r++) {
        const base = r * o;
        for (let j = 0; j < o; j++) g[j]! += dy[base + j]!;
      }
    }
    const dx = new Float32Array(rows * n);
    gemm({
      transA: false,
      transB: false,
      m: rows,
      n,
      k: o,
      a: dy,
      lda: o,
      b: this.weight.data,
      ldb: n,
      c: dx,
      ldc: n,
    });
    this.input = undefined;
    return dx;
  }
}
