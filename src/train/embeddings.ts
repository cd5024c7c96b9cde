// BERT's input embeddings: word + absolute position + token type, then LayerNorm and dropout, as
// BertEmbeddings. The backward pass scatter-adds into the three tables' gradients.

import type { Dropout } from './dropout.js';
import type { LayerNorm } from './layer-norm.js';
import { type Module, Parameter } from './parameter.js';

/** A batch of token ids, right-padded to `seq`. */
export interface TokenBatch {
  batch: number;
  seq: number;
  ids: Int32Array;
  typeIds: Int32Array;
  /** Real tokens per row. */
  lengths: Int32Array;
}

export class Embeddings implements Module {
  private saved: TokenBatch | undefined;

  constructor(
    readonly words: Parameter,
    readonly positions: Parameter,
    readonly tokenTypes: Parameter,
    readonly norm: LayerNorm,
    private readonly dropout?: Dropout,
  ) {}

  get hidden(): number {
    return this.words.shape[1]!;
  }

  parameters(): Parameter[] {
    return [this.words, this.positions, this.tokenTypes, ...this.norm.parameters()];
  }

  forward(tokens: TokenBatch): Float32Array {
    const h = this.hidden;
    const { batch, seq, ids, typeIds } = tokens;
    if (seq > this.positions.shape[0]!)
      throw new RangeError(
        `sequence of ${seq} tokens is longer than the ${this.positions.shape[0]} positions`,
      );
    const x = new Float32Array(batch * seq * h);
    const w = this.words.data;
    const p = this.positions.data;
    const t = this.tokenTypes.data;
    for (let r = 0; r < batch * seq; r++) {
      const wi = ids[r]! * h;
      const pi = (r % seq) * h;
      const ti = typeIds[r]! * h;
      const base = r * h;
      for (let j = 0; j < h; j++) x[base + j] = w[wi + j]! + p[pi + j]! + t[ti + j]!;
    }
    this.saved = tokens;
    const y = this.norm.forward(x, batch * seq);
    return this.dropout ? this.dropout.forward(y) : y;
  }

  backward(dy: Float32Array): void {
    const tokens = this.saved;
    if (!tokens) throw new Error('Embeddings.backward before forward');
    const dx = this.norm.backward(this.dropout ? this.dropout.backward(dy) : dy);
    const h = this.hidden;
    const { batch, seq, ids, typeIds } = tokens;
    const gw = this.words.grad;
    const gp = this.positions.grad;
    const gt = this.tokenTypes.grad;
    for (let r = 0; r < batch * seq; r++) {
      const wi = ids[r]! * h;
      const pi = (r % seq) * h;
      const ti = typeIds[r]! * h;
      const base = r * h;
      for (let j = 0; j < h; j++) {
        const g = dx[base + j]!;
        gw[wi + j]! += g;
        gp[pi + j]! += g;
        gt[ti + j]! += g;
      }
    }
    this.saved = undefined;
  }

  static create(
    prefix: string,
    tables: { words: Float32Array; positions: Float32Array; tokenTypes: Float32Array; hidden: number },
    norm: LayerNorm,
    dropout?: Dropout,
  ): Embeddings {
    const { hidden } = tables;
    const table = (name: string, data: Float32Array) =>
      new Parameter(`${prefix}embeddings.${name}.weight`, [data.length / hidden, hidden], data, true);
    return new Embeddings(
      table('word_embeddings', tables.words),
      table('position_embeddings', tables.positions),
      table('token_type_embeddings', tables.tokenTypes),
      norm,
      dropout,
    );
  }
}
