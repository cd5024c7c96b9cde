// The decoder-only ranker the engine trains: a Llama-family language model (LlamaForCausalLM; Qwen2 with
// q/k/v biases) scoring a (query, document) prompt by its next token, the paper's yes/no form: the score
// is z_yes − z_no, the difference of the two label logits at the prompt's last position, so
// σ(score) = p(yes | yes or no). Only those two rows of the output projection are computed: a ranker never
// needs the other 49k (or 151k) logits, and their gradient is zero.
//
// Parameters carry Hugging Face names ("model.layers.0.self_attn.q_proj.weight", ...), so a saved
// checkpoint is a standard LlamaForCausalLM / Qwen2ForCausalLM safetensors file. With tied embeddings
// (SmolLM2, Qwen2.5 0.5B and 1.5B) the label rows are rows of `model.embed_tokens.weight`, and their
// gradient lands there. The model is built from the same DecoderConfig and DecoderWeights the decoder
// runtime reads (from a GGUF file or a Hugging Face folder).

import type { DecoderConfig, DecoderWeights } from '../models/index.js';
import { DecoderLayer } from './decoder-layer.js';
import { Linear } from './linear.js';
import { type Module, Parameter } from './parameter.js';
import { RmsNorm } from './rms-norm.js';
import { Rotary } from './rotary.js';

/** Token ids right-padded to `seq`; the score is read at each row's last real token. */
export interface DecoderBatch {
  batch: number;
  seq: number;
  ids: Int32Array;
  lengths: Int32Array;
  /**
   * Vectors read in place of token embeddings (embedding tokens): `at` holds flat positions b·seq + t,
   * `values` one hidden-size vector per position. Their gradient is what backward returns.
   */
  vectors?: { at: Int32Array; values: Float32Array };
}

export class YesNoDecoder implements Module {
  private saved: { batch: DecoderBatch; last: Float32Array; rows: number } | undefined;
  /** Freezes every weight: backward then only carries the gradient to the input vectors. */
  freeze(): void {
    for (const p of this.parameters()) p.frozen = true;
  }

  constructor(
    readonly shape: DecoderConfig,
    readonly embedding: Parameter,
    readonly layers: DecoderLayer[],
    readonly finalNorm: RmsNorm,
    /** lm_head.weight when the output projection is not the embedding. */
    readonly outputProjection: Parameter | undefined,
    /** Token ids of the two labels, e.g. " yes" and " no" as the prompt's answer starts them. */
    readonly labels: { yes: number; no: number },
  ) {}

  parameters(): Parameter[] {
    return [
      this.embedding,
      ...this.layers.flatMap((l) => l.parameters()),
      ...this.finalNorm.parameters(),
      ...(this.outputProjection ? [this.outputProjection] : []),
    ];
  }

  /** The token embeddings of a batch, [batch·seq, hidden] (the first block's input). */
  embed(tokens: DecoderBatch): Float32Array {
    const { batch, seq, ids } = tokens;
    const h = this.shape.hidden;
    const table = this.embedding.data;
    const x = new Float32Array(batch * seq * h);
    for (let r = 0; r < batch * seq; r++) x.set(table.subarray(ids[r]! * h, ids[r]! * h + h), r * h);
    const vectors = tokens.vectors;
    if (vectors) {
      if (vectors.values.length !== vectors.at.length * h)
        throw new RangeError(`${vectors.at.length} vector positions but ${vectors.values.length} values`);
      vectors.at.forEach((r, i) => {
        if (r < 0 || r >= batch * seq) throw new RangeError(`vector position ${r} is outside the batch`);
        x.set(vectors.values.subarray(i * h, i * h + h), r * h);
      });
    }
    return x;
  }

  /** → scores [batch]: z_yes − z_no at each row's last real token. */
  forward(tokens: DecoderBatch): Float32Array {
    const { batch, seq, lengths } = tokens;
    const h = this.shape.hidden;
    let x = this.embed(tokens);
    for (const layer of this.layers) x = layer.forward(x, batch, seq, lengths);
    // Only the last real position of each row reaches the head (RMSNorm is per row).
    const lastRows = new Float32Array(batch * h);
    for (let b = 0; b < batch; b++) {
      const at = (b * seq + lengths[b]! - 1) * h;
      lastRows.set(x.subarray(at, at + h), b * h);
    }
    const last = this.finalNorm.forward(lastRows, batch);
    const head = this.headWeights();
    const scores = new Float32Array(batch);
    for (let b = 0; b < batch; b++) {
      let s = 0;
      for (let j = 0; j < h; j++) s += last[b * h + j]! * (head.yes[j]! - head.no[j]!);
      scores[b] = s;
    }
    this.saved = { batch: tokens, last, rows: batch * seq };
    return scores;
  }

  /** The last forward's final-normed hidden state at each row's last real token, [batch, hidden]. */
  lastHidden(): Float32Array {
    if (!this.saved) throw new Error('YesNoDecoder.lastHidden before forward');
    return this.saved.last;
  }

  /**
   * Accumulates every parameter's gradient from dLoss/dscores (and dLoss/dlastHidden when given, e.g. an
   * alignment loss on the hidden state); returns the gradient of the batch's input vectors, if it had any.
   */
  backward(dScores: Float32Array, dLastHidden?: Float32Array): Float32Array | undefined {
    const saved = this.saved;
    if (!saved) throw new Error('YesNoDecoder.backward before forward');
    const { batch, seq, ids, lengths } = saved.batch;
    const h = this.shape.hidden;
    const head = this.headWeights();
    const headGrad = this.outputProjection?.grad ?? this.embedding.grad;
    const yesAt = this.labels.yes * h;
    const noAt = this.labels.no * h;
    const dLast = new Float32Array(batch * h);
    for (let b = 0; b < batch; b++) {
      const d = dScores[b]!;
      for (let j = 0; j < h; j++) {
        const v = saved.last[b * h + j]!;
        if (!this.embedding.frozen) {
          headGrad[yesAt + j]! += d * v;
          headGrad[noAt + j]! -= d * v;
        }
        dLast[b * h + j] = d * (head.yes[j]! - head.no[j]!) + (dLastHidden?.[b * h + j] ?? 0);
      }
    }
    const dLastRows = this.finalNorm.backward(dLast);
    let dx: Float32Array = new Float32Array(saved.rows * h);
    for (let b = 0; b < batch; b++)
      dx.set(dLastRows.subarray(b * h, b * h + h), (b * seq + lengths[b]! - 1) * h);
    for (let i = this.layers.length - 1; i >= 0; i--) dx = this.layers[i]!.backward(dx);
    this.saved = undefined;
    const vectors = saved.batch.vectors;
    const dVectors = vectors ? new Float32Array(vectors.values.length) : undefined;
    const replaced = new Uint8Array(batch * seq);
    vectors?.at.forEach((r, i) => {
      dVectors!.set(dx.subarray(r * h, r * h + h), i * h);
      replaced[r] = 1;
    });
    if (this.embedding.frozen) return dVectors;
    const g = this.embedding.grad;
    for (let r = 0; r < batch * seq; r++) {
      if (replaced[r]) continue;
      const at = ids[r]! * h;
      for (let j = 0; j < h; j++) g[at + j]! += dx[r * h + j]!;
    }
    return dVectors;
  }

  private headWeights(): { yes: Float32Array; no: Float32Array } {
    const w = (this.outputProjection ?? this.embedding).data;
    const h = this.shape.hidden;
    return {
      yes: w.subarray(this.labels.yes * h, this.labels.yes * h + h),
      no: w.subarray(this.labels.no * h, this.labels.no * h + h),
    };
  }

  /** Copies the weights (the model owns and updates them). */
  static fromWeights(
    weights: DecoderWeights,
    shape: DecoderConfig,
    labels: { yes: number; no: number },
  ): YesNoDecoder {
    const { hidden, vocabSize } = shape;
    for (const [name, id] of Object.entries(labels))
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
        throw new RangeError(`label token "${name}" id ${id} is outside the vocabulary of ${vocabSize}`);
    const rotary = new Rotary(shape.headDim, shape.ropeTheta);
    const linear = (name: string, w: DecoderWeights['layers'][number]['query']) =>
      Linear.create(name, w.weight.slice(), w.bias?.slice(), w.inFeatures);
    const layers = weights.layers.map((l) => {
      const base = `model.layers.${l.index}`;
      return new DecoderLayer({
        inputNorm: RmsNorm.create(`${base}.input_layernorm`, l.attentionNorm.slice(), shape.rmsEpsilon),
        query: linear(`${base}.self_attn.q_proj`, l.query),
        key: linear(`${base}.self_attn.k_proj`, l.key),
        value: linear(`${base}.self_attn.v_proj`, l.value),
        output: linear(`${base}.self_attn.o_proj`, l.output),
        postAttentionNorm: RmsNorm.create(
          `${base}.post_attention_layernorm`,
          l.mlpNorm.slice(),
          shape.rmsEpsilon,
        ),
        gate: linear(`${base}.mlp.gate_proj`, l.gate),
        up: linear(`${base}.mlp.up_proj`, l.up),
        down: linear(`${base}.mlp.down_proj`, l.down),
        heads: shape.heads,
        kvHeads: shape.kvHeads,
        rotary,
      });
    });
    const embedding = new Parameter(
      'model.embed_tokens.weight',
      [vocabSize, hidden],
      weights.embedding.slice(),
      true,
    );
    if (!shape.tiedEmbeddings && !weights.outputProjection)
      throw new RangeError('the decoder is untied but its weights have no output projection (lm_head)');
    const output =
      shape.tiedEmbeddings || !weights.outputProjection
        ? undefined
        : new Parameter('lm_head.weight', [vocabSize, hidden], weights.outputProjection.slice(), true);
    return new YesNoDecoder(
      shape,
      embedding,
      layers,
      RmsNorm.create('model.norm', weights.finalNorm.slice(), shape.rmsEpsilon),
      output,
      labels,
    );
  }
}
