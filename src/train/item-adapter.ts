// The embedding-token ranker's item adapter as a trainable module (rank/item-adapter.ts is the serving
// form and names the tensors): Linear(in → hidden) → SiLU → Linear(hidden → out), forward and backward.
// Initialised as torch.nn.Linear is (weights and biases uniform in ±1/√fan_in), from a seeded generator.

import { ITEM_ADAPTER_TENSORS, type ItemAdapterWeights, silu } from '../rank/index.js';
import { Mulberry32 } from '../util/index.js';
import { Linear } from './linear.js';
import type { Module, Parameter } from './parameter.js';

export class ItemAdapter implements Module {
  private preActivation: Float32Array | undefined;

  constructor(
    readonly inner: Linear,
    readonly outer: Linear,
  ) {}

  static create(inFeatures: number, hiddenFeatures: number, outFeatures: number, seed: number): ItemAdapter {
    const random = new Mulberry32(seed >>> 0);
    const uniform = (count: number, bound: number) =>
      Float32Array.from({ length: count }, () => (2 * random.next() - 1) * bound);
    const a = 1 / Math.sqrt(inFeatures);
    const b = 1 / Math.sqrt(hiddenFeatures);
    const name = (tensor: string) => tensor.replace(/\.(weight|bias)$/, '');
    return new ItemAdapter(
      Linear.create(
        name(ITEM_ADAPTER_TENSORS.inWeight),
        uniform(hiddenFeatures * inFeatures, a),
        uniform(hiddenFeatures, a),
        inFeatures,
      ),
      Linear.create(
        name(ITEM_ADAPTER_TENSORS.outWeight),
        uniform(outFeatures * hiddenFeatures, b),
        uniform(outFeatures, b),
        hiddenFeatures,
      ),
    );
  }

  parameters(): Parameter[] {
    return [...this.inner.parameters(), ...this.outer.parameters()];
  }

  /** x: [rows, in] → [rows, out]. */
  forward(x: Float32Array, rows: number): Float32Array {
    const z = this.inner.forward(x, rows);
    this.preActivation = z;
    return this.outer.forward(Float32Array.from(z, silu), rows);
  }

  /** dy: [rows, out] → dx: [rows, in]; accumulates the four parameters' gradients. */
  backward(dy: Float32Array): Float32Array {
    const z = this.preActivation;
    if (!z) throw new Error('ItemAdapter.backward before forward');
    const dHidden = this.outer.backward(dy);
    for (let i = 0; i < z.length; i++) {
      // d/dz z·σ(z) = σ(z)·(1 + z·(1 − σ(z)))
      const s = 1 / (1 + Math.exp(-z[i]!));
      dHidden[i]! *= s * (1 + z[i]! * (1 - s));
    }
    this.preActivation = undefined;
    return this.inner.backward(dHidden);
  }

  /** The weights in the serving form (copies). */
  weights(): ItemAdapterWeights {
    return {
      inFeatures: this.inner.inFeatures,
      hiddenFeatures: this.inner.outFeatures,
      outFeatures: this.outer.outFeatures,
      inWeight: this.inner.weight.data.slice(),
      inBias: this.inner.bias!.data.slice(),
      outWeight: this.outer.weight.data.slice(),
      outBias: this.outer.bias!.data.slice(),
    };
  }
}
