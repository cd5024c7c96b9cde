// A trainable tensor: its values, its accumulated gradient, and the Hugging Face name it is saved under.

export class Parameter {
  readonly grad: Float32Array;
  /** A frozen parameter gets no gradient: layers skip that work and pass only the input's gradient on. */
  frozen = false;

  constructor(
    /** Hugging Face tensor name, e.g. "bert.encoder.layer.0.attention.self.query.weight". */
    readonly name: string,
    readonly shape: readonly number[],
    readonly data: Float32Array,
    /** Whether AdamW's decoupled weight decay applies (not to biases and LayerNorm, as in HF's recipes). */
    readonly decay: boolean,
  ) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new RangeError(`${name}: ${data.length} values for shape [${shape}]`);
    this.grad = new Float32Array(size);
  }

  get size(): number {
    return this.data.length;
  }

  zeroGrad(): void {
    this.grad.fill(0);
  }
}

/** Anything that owns parameters (layers, models). */
export interface Module {
  parameters(): Parameter[];
}
