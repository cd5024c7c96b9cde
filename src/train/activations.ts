// Element-wise activations with their derivatives: exact (erf) GELU as in BERT's "gelu", tanh (BERT's
// pooler), and the SwiGLU gate of Llama and Qwen2 MLPs. GELU runs in the native addon when it is loaded (libm's erff, two threads), in TypeScript
// otherwise.

import { loadNativeBlas } from '../runtime/index.js';

const native = loadNativeBlas();

/** erf(x) to ~1.2e-7 relative error (Numerical Recipes' erfc Chebyshev fit), below float32's precision. */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886187 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** GELU(x) = x·Φ(x), Φ the standard normal CDF (Hendrycks & Gimpel 2016, the exact form). */
export class Gelu {
  private input: Float32Array | undefined;

  forward(x: Float32Array): Float32Array {
    this.input = x;
    const y = new Float32Array(x.length);
    if (native) {
      native.gelu(x, y);
      return y;
    }
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      y[i] = 0.5 * v * (1 + erf(v * INV_SQRT2));
    }
    return y;
  }

  /** d/dx x·Φ(x) = Φ(x) + x·φ(x). */
  backward(dy: Float32Array): Float32Array {
    const x = this.input;
    if (!x) throw new Error('Gelu.backward before forward');
    const dx = new Float32Array(x.length);
    this.input = undefined;
    if (native) {
      native.geluBackward(x, dy, dx);
      return dx;
    }
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const cdf = 0.5 * (1 + erf(v * INV_SQRT2));
      dx[i] = dy[i]! * (cdf + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
    }
    this.input = undefined;
    return dx;
  }
}

export class Tanh {
  private output: Float32Array | undefined;

  forward(x: Float32Array): Float32Array {
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]!);
    this.output = y;
    return y;
  }

  backward(dy: Float32Array): Float32Array {
    const y = this.output;
    if (!y) throw new Error('Tanh.backward before forward');
    const dx = new Float32Array(y.length);
    for (let i = 0; i < y.length; i++) dx[i] = dy[i]! * (1 - y[i]! * y[i]!);
    this.output = undefined;
    return dx;
  }
}

/**
 * SwiGLU's gate (Shazeer 2020), as Llama's MLP: h = SiLU(g) ⊙ u with SiLU(g) = g·σ(g), so
 * ∂h/∂u = SiLU(g) and ∂h/∂g = u·σ(g)·(1 + g·(1 − σ(g))).
 */
export class SwiGlu {
  private saved: { gate: Float32Array; up: Float32Array } | undefined;

  forward(gate: Float32Array, up: Float32Array): Float32Array {
    const h = new Float32Array(gate.length);
    for (let i = 0; i < gate.length; i++) {
      const g = gate[i]!;
      h[i] = (g / (1 + Math.exp(-g))) * up[i]!;
    }
    this.saved = { gate, up };
    return h;
  }

  /** dh → [dgate, dup]. */
  backward(dh: Float32Array): [Float32Array, Float32Array] {
    const saved = this.saved;
    if (!saved) throw new Error('SwiGlu.backward before forward');
    const { gate, up } = saved;
    const dGate = new Float32Array(gate.length);
    const dUp = new Float32Array(gate.length);
    for (let i = 0; i < gate.length; i++) {
      const g = gate[i]!;
      const s = 1 / (1 + Math.exp(-g));
      dUp[i] = dh[i]! * g * s;
      dGate[i] = dh[i]! * up[i]! * s * (1 + g * (1 - s));
    }
    this.saved = undefined;
    return [dGate, dUp];
  }
}
