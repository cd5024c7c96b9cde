// Transformer building blocks as ONNX subgraphs: linear layers, layer norm, GELU, attention, pooling.
//
// Blocks are written in the forms ONNX Runtime's optimiser fuses at level 'all' (the erf GELU after a
// MatMul + bias becomes BiasGelu), or as its fused CPU kernels directly where its pattern matcher was
// seen not to fuse them (residual add + bias + LayerNormalization → SkipLayerNormalization).
// Encoder and decoder builders share these blocks.

import { attr, type GraphBuilder } from '../../runtime/index.js';
import { type QuantizeMode, quantizedMatMul, quantizePerChannel, type WeightType } from '../quantize.js';

/** A PyTorch nn.Linear: weight is row-major [out, in] and y = x·Wᵀ + b. */
export interface LinearWeights {
  weight: Float32Array;
  outFeatures: number;
  inFeatures: number;
  bias?: Float32Array;
}

export interface LinearOptions {
  /** Initializer name prefix, e.g. "encoder.layer.0.attention.self.query". */
  name: string;
  quantize?: QuantizeMode;
  /** Storage of int8 weights (see quantize.ts); defaults to what this CPU's kernels compute exactly. */
  weightType?: WeightType;
  /** Folds a constant factor into W and b at build time: y = (x·Wᵀ + b)·scale, for free at run time. */
  scale?: number;
  /** Int8 activation quantisation granularity (see quantize.ts). */
  activations?: 'tensor' | 'row';
  /** Leave the bias out (a following fused op such as SkipLayerNormalization adds it). */
  omitBias?: boolean;
}

/** Row-major [rows, cols] → [cols, rows]; nn.Linear stores [out, in] and MatMul wants [in, out]. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const from = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[from + c] ?? 0;
  }
  return out;
}

/**
 * Stacks linears that read the same input into one (rows of W and entries of b concatenated), so that
 * Q, K and V are one matrix product; `scales` multiplies each part, e.g. 1/√d for the query.
 */
export function stackLinear(parts: readonly LinearWeights[], scales: readonly number[] = []): LinearWeights {
  const first = parts[0];
  if (!first) throw new Error('stackLinear needs at least one part');
  const inFeatures = first.inFeatures;
  const outFeatures = parts.reduce((sum, p) => sum + p.outFeatures, 0);
  const weight = new Float32Array(outFeatures * inFeatures);
  const bias = new Float32Array(outFeatures);
  let row = 0;
  parts.forEach((part, i) => {
    if (part.inFeatures !== inFeatures) throw new Error('stacked linears must share their input width');
    const scale = scales[i] ?? 1;
    weight.set(scale === 1 ? part.weight : part.weight.map((v) => v * scale), row * inFeatures);
    if (part.bias) bias.set(scale === 1 ? part.bias : part.bias.map((v) => v * scale), row);
    row += part.outFeatures;
  });
  return { weight, outFeatures, inFeatures, bias };
}

/** y = x·Wᵀ + b as MatMul(x, Wᵀ) + b, with Wᵀ computed now; int8 when `quantize` says so. */
export function linear(g: GraphBuilder, x: string, w: LinearWeights, options: LinearOptions): string {
  const { name, scale = 1 } = options;
  const weightT = transpose2d(w.weight, w.outFeatures, w.inFeatures);
  let bias = options.omitBias ? undefined : w.bias;
  if (scale !== 1) {
    for (let i = 0; i < weightT.length; i++) weightT[i] = (weightT[i] ?? 0) * scale;
    bias = bias?.map((v) => v * scale);
  }
  if (options.quantize === 'int8') {
    const q = quantizePerChannel(weightT, w.inFeatures, w.outFeatures);
    const { weightType, activations } = options;
    return quantizedMatMul(g, x, q, {
      name,
      ...(bias ? { bias } : {}),
      ...(weightType ? { weightType } : {}),
      ...(activations ? { activations } : {}),
    });
  }
  const product = g.node('MatMul', [
    x,
    g.initializer(`${name}.weight_t`, weightT, [w.inFeatures, w.outFeatures]),
  ]);
  return bias ? g.node('Add', [product, g.initializer(`${name}.bias`, bias, [w.outFeatures])]) : product;
}

/** LayerNormalization over the last axis: (x − μ)/√(σ² + ε)·γ + β (opset 17). */
export function layerNorm(
  g: GraphBuilder,
  x: string,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
  name: string,
): string {
  const scale = g.initializer(`${name}.weight`, gamma, [gamma.length]);
  const bias = g.initializer(`${name}.bias`, beta, [beta.length]);
  return g.node('LayerNormalization', [x, scale, bias], 1, {
    axis: attr.int(-1),
    epsilon: attr.float(epsilon),
  });
}

/**
 * LN(x + skip + bias) as one com.microsoft.SkipLayerNormalization kernel: the residual add, the bias of
 * the preceding linear and the layer norm in one pass over the activations.
 */
export function skipLayerNorm(
  g: GraphBuilder,
  x: string,
  skip: string,
  norm: { gamma: Float32Array; beta: Float32Array; bias?: Float32Array | undefined },
  epsilon: number,
  name: string,
): string {
  const gamma = g.initializer(`${name}.weight`, norm.gamma, [norm.gamma.length]);
  const beta = g.initializer(`${name}.bias`, norm.beta, [norm.beta.length]);
  const inputs = [x, skip, gamma, beta];
  if (norm.bias) inputs.push(g.initializer(`${name}.input_bias`, norm.bias, [norm.bias.length]));
  return g.node('com.microsoft.SkipLayerNormalization', inputs, 1, { epsilon: attr.float(epsilon) });
}

/** Exact GELU, 0.5·x·(1 + erf(x/√2)) (Hendrycks & Gimpel 2016), in the node order ORT's GeluFusion matches. */
export function gelu(g: GraphBuilder, x: string): string {
  const erf = g.node('Erf', [g.node('Div', [x, g.scalar(Math.SQRT2)])]);
  const onePlus = g.node('Add', [erf, g.scalar(1)]);
  return g.node('Mul', [g.node('Mul', [x, onePlus]), g.scalar(0.5)]);
}

/** How attention is computed: plain ONNX ops, or ORT's fused com.microsoft.MultiHeadAttention kernel. */
export type AttentionKernel = 'ops' | 'fused';

/** The attention mask [batch, sequence] (int64, 1 = token, 0 = padding) in the forms the kernels want. */
export interface AttentionMasks {
  /** [batch, 1, 1, sequence] float: 0 for tokens, −10000 for padding (BERT's additive mask). */
  additive?: string;
  /** [batch, sequence] int32, the key padding mask of MultiHeadAttention. */
  keyPadding?: string;
}

/** Derives the masks `kernel` needs from an int64 [batch, sequence] attention mask. */
export function attentionMasks(g: GraphBuilder, mask: string, kernel: AttentionKernel): AttentionMasks {
  return g.scoped('mask', () => {
    if (kernel === 'fused') return { keyPadding: g.node('Cast', [mask], 1, { to: attr.int(6) }) };
    // (1 − m)·(−10000): softmax weights of padded keys become exp(−10000) = 0 in float32.
    const m = g.node('Cast', [mask], 1, { to: attr.int(1) });
    const padding = g.node('Sub', [g.scalar(1), m]);
    const bias = g.node('Mul', [padding, g.scalar(-10000)]);
    return { additive: g.node('Unsqueeze', [bias, g.int64s([1, 2])]) };
  });
}

export interface AttentionOptions {
  heads: number;
  headDim: number;
  kernel: AttentionKernel;
  masks: AttentionMasks;
}

/**
 * softmax(Q·Kᵀ + mask)·V per head, for Q, K, V of [batch, sequence, heads·headDim] → same shape.
 * The 1/√d scale is expected to be folded into Q's projection already (see `linear`'s `scale`).
 */
export function attention(
  g: GraphBuilder,
  q: string,
  k: string,
  v: string,
  options: AttentionOptions,
): string {
  const { heads, headDim, kernel, masks } = options;
  if (kernel === 'fused') {
    if (!masks.keyPadding) throw new Error('fused attention needs the key padding mask');
    return g.node('com.microsoft.MultiHeadAttention', [q, k, v, '', masks.keyPadding], 1, {
      num_heads: attr.int(heads),
      scale: attr.float(1),
    });
  }
  if (!masks.additive) throw new Error('attention needs the additive mask');
  const split = g.int64s([0, 0, heads, headDim]);
  const toHeads = (t: string, perm: number[]) =>
    g.node('Transpose', [g.node('Reshape', [t, split])], 1, { perm: attr.ints(perm) });
  const qh = toHeads(q, [0, 2, 1, 3]); // [B, h, S, d]
  const kh = toHeads(k, [0, 2, 3, 1]); // [B, h, d, S]
  const vh = toHeads(v, [0, 2, 1, 3]); // [B, h, S, d]
  const scores = g.node('Add', [g.node('MatMul', [qh, kh]), masks.additive]);
  const probs = g.node('Softmax', [scores], 1, { axis: attr.int(-1) });
  const context = g.node('Transpose', [g.node('MatMul', [probs, vh])], 1, { perm: attr.ints([0, 2, 1, 3]) });
  return g.node('Reshape', [context, g.int64s([0, 0, heads * headDim])]);
}

/**
 * Mean of token vectors weighted by the mask (sentence-transformers' mean pooling):
 * Σ_t h_t·m_t / max(Σ_t m_t, 1e-9), for h [batch, sequence, hidden] → [batch, hidden].
 */
export function meanPool(g: GraphBuilder, hidden: string, mask: string): string {
  return g.scoped('mean_pool', () => {
    const m = g.node('Unsqueeze', [g.node('Cast', [mask], 1, { to: attr.int(1) }), g.int64s([2])]);
    const sum = g.node('ReduceSum', [g.node('Mul', [hidden, m]), g.int64s([1])], 1, {
      keepdims: attr.int(0),
    });
    const count = g.node('ReduceSum', [m, g.int64s([1])], 1, { keepdims: attr.int(0) });
    return g.node('Div', [sum, g.node('Max', [count, g.scalar(1e-9)])]);
  });
}

/** The first token's vector ([CLS] for BERT): [batch, sequence, hidden] → [batch, hidden]. */
export function clsPool(g: GraphBuilder, hidden: string): string {
  return g.node('Gather', [hidden, g.int64s([0], [])], 1, { axis: attr.int(1) });
}

/** x / max(‖x‖₂, 1e-12) along the last axis, as torch.nn.functional.normalize. */
export function l2Normalize(g: GraphBuilder, x: string): string {
  return g.scoped('normalize', () => {
    // ReduceSum takes its axes as an input from opset 13 on, ReduceL2 only from 18; this works for both.
    const squares = g.node('ReduceSum', [g.node('Mul', [x, x]), g.int64s([-1])], 1, {
      keepdims: attr.int(1),
    });
    const norm = g.node('Sqrt', [squares]);
    return g.node('Div', [x, g.node('Max', [norm, g.scalar(1e-12)])]);
  });
}

/**
 * RMSNorm (Zhang & Sennrich 2019): x / √(mean(x²) + ε) · w over the last axis, in the node order ORT's
 * SimplifiedLayerNormFusion turns into one kernel (Pow → ReduceMean → Add → Sqrt → Div → Mul).
 */
export function rmsNorm(
  g: GraphBuilder,
  x: string,
  weight: Float32Array,
  epsilon: number,
  name: string,
): string {
  return g.scoped(name, () => {
    const squares = g.node('Pow', [x, g.scalar(2)]);
    const mean =
      g.opset >= 18
        ? g.node('ReduceMean', [squares, g.int64s([-1])], 1, { keepdims: attr.int(1) })
        : g.node('ReduceMean', [squares], 1, { axes: attr.ints([-1]), keepdims: attr.int(1) });
    const rms = g.node('Sqrt', [g.node('Add', [mean, g.scalar(epsilon)])]);
    const normed = g.node('Div', [x, rms]);
    return g.node('Mul', [normed, g.initializer(`${name}.weight`, weight, [weight.length])]);
  });
}

/** SiLU (swish), x·σ(x), the gate activation of SwiGLU MLPs. */
export function silu(g: GraphBuilder, x: string): string {
  return g.node('Mul', [x, g.node('Sigmoid', [x])]);
}
