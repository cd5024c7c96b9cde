// Rotary position embedding (Su et al. 2021) in Hugging Face's "rotate half" layout, as Llama and Qwen2
// apply it to queries and keys: for position p and i < d/2, with θᵢ = base^(−2i/d),
//   y[i] = x[i]·cos(pθᵢ) − x[i + d/2]·sin(pθᵢ);   y[i + d/2] = x[i + d/2]·cos(pθᵢ) + x[i]·sin(pθᵢ).
// A rotation, so the backward pass is the rotation by −pθᵢ. Rows are [batch·seq, heads·d] with right
// padding, so a row's position is its index within its sequence. Angles are rounded to float32 as HF
// computes them (inverse frequency in float32, times the position in float32), so long positions agree.

export class Rotary {
  private cos = new Float32Array(0);
  private sin = new Float32Array(0);
  private positions = 0;

  constructor(
    readonly headDim: number,
    readonly base: number,
  ) {
    if (headDim % 2 !== 0) throw new RangeError(`rotary head dimension ${headDim} is odd`);
  }

  /** x: [batch·seq, heads·d] → rotated copy. */
  forward(x: Float32Array, seq: number, heads: number): Float32Array {
    return this.rotate(x, seq, heads, 1);
  }

  /** dy → dx, the same rotation backwards (stateless: depends only on the shape). */
  backward(dy: Float32Array, seq: number, heads: number): Float32Array {
    return this.rotate(dy, seq, heads, -1);
  }

  private rotate(x: Float32Array, seq: number, heads: number, direction: 1 | -1): Float32Array {
    this.ensureTables(seq);
    const d = this.headDim;
    const half = d / 2;
    const width = heads * d;
    const rows = x.length / width;
    const y = new Float32Array(x.length);
    for (let r = 0; r < rows; r++) {
      const table = (r % seq) * half;
      for (let h = 0; h < heads; h++) {
        const base = r * width + h * d;
        for (let i = 0; i < half; i++) {
          const c = this.cos[table + i]!;
          const s = direction * this.sin[table + i]!;
          const a = x[base + i]!;
          const b = x[base + i + half]!;
          y[base + i] = a * c - b * s;
          y[base + i + half] = b * c + a * s;
        }
      }
    }
    return y;
  }

  private ensureTables(seq: number): void {
    if (seq <= this.positions) return;
    const half = this.headDim / 2;
    this.cos = new Float32Array(seq * half);
    this.sin = new Float32Array(seq * half);
    for (let p = 0; p < seq; p++)
      for (let i = 0; i < half; i++) {
        const angle = Math.fround(p * Math.fround(1 / this.base ** ((2 * i) / this.headDim)));
        this.cos[p * half + i] = Math.cos(angle);
        this.sin[p * half + i] = Math.sin(angle);
      }
    this.positions = seq;
  }
}
