// Opens a BERT folder's safetensors weights in sift's bfloat16 encoder (native/encoder.cc) instead of an
// ONNX Runtime graph: the same forward pass as graph.ts (post-LayerNorm BERT, exact GELU, mean or CLS
// pooling, optional L2 normalisation, or the cross-encoder's classifier head) with the matrix products'
// inputs rounded to bfloat16.
//
// Returns a reason instead of an encoder where the kernel cannot run this model or this machine, so the
// embedder can fall back to the float32 graph and say why.

import { join } from 'node:path';
import {
  loadNativeEncoder,
  type NativeClassifierHead,
  type NativeEncoder,
  nativeEncoderStatus,
} from '../../runtime/index.js';
import { readSafetensors } from '../safetensors.js';
import type { BertConfig } from './config.js';
import { bertWeights } from './weights.js';

export type NativeOpen = { encoder: NativeEncoder } | { reason: string };

export interface NativeBertOptions {
  pooling: 'mean' | 'cls';
  normalize: boolean;
  maxLength: number;
  /** 'classifier': a cross-encoder's head (pooler, tanh, classifier); the encoder then returns logits. */
  head?: 'classifier';
}

export async function openNativeBertEncoder(
  dir: string,
  config: BertConfig,
  options: NativeBertOptions,
): Promise<NativeOpen> {
  const status = nativeEncoderStatus();
  if (!status.available) return { reason: status.reason ?? 'the bfloat16 encoder is unavailable' };
  if (config.architecture !== 'bert') {
    return { reason: `the bfloat16 encoder runs BERT only, not ${config.architecture}` };
  }
  const w = bertWeights(await readSafetensors(join(dir, 'model.safetensors')), config);
  const { hidden } = w;
  const d = config.headDim;
  if (hidden % 32 !== 0 || d % 16 !== 0 || d > 64) {
    return { reason: `hidden ${hidden} and head size ${d} do not fit the kernel's tiles` };
  }
  for (const layer of w.layers) {
    if (layer.intermediate.outFeatures % 32 !== 0 || (layer.heads * d) % 32 !== 0) {
      return { reason: `layer ${layer.index}'s widths do not fit the kernel's tiles (multiples of 32)` };
    }
  }
  const positions = Math.min(options.maxLength, w.positions.rows - config.positionOffset);
  let head: NativeClassifierHead | undefined;
  if (options.head === 'classifier' && w.similarity && !w.classifier) {
    return { reason: 'the bfloat16 encoder has no similarity head (the graph runs it)' };
  }
  if (options.head === 'classifier') {
    const { pooler, classifier } = w;
    if (!pooler || !classifier)
      return { reason: 'a classifier head needs pooler.dense.* and classifier.* tensors' };
    head = {
      labels: classifier.outFeatures,
      pooler: pooler.weight,
      poolerBias: pooler.bias ?? new Float32Array(hidden),
      classifier: classifier.weight,
      classifierBias: classifier.bias ?? new Float32Array(classifier.outFeatures),
    };
  }
  const bias = (b: Float32Array | undefined, n: number) => b ?? new Float32Array(n);
  const encoder = loadNativeEncoder({
    hidden,
    headDim: d,
    vocab: w.words.rows,
    positions,
    eps: config.layerNormEps,
    clsPooling: options.pooling === 'cls',
    normalize: options.normalize,
    words: w.words.data,
    positionTable: w.positions.data.subarray(
      config.positionOffset * hidden,
      (config.positionOffset + positions) * hidden,
    ),
    tokenTypes: w.tokenTypes ? w.tokenTypes.data : new Float32Array(hidden),
    embGamma: w.embeddingNorm.gamma,
    embBeta: w.embeddingNorm.beta,
    ...(head ? { head } : {}),
    layers: w.layers.map((l) => {
      const width = l.heads * d;
      const qkv = new Float32Array(3 * width * hidden);
      qkv.set(l.query.weight, 0);
      qkv.set(l.key.weight, width * hidden);
      qkv.set(l.value.weight, 2 * width * hidden);
      const qkvBias = new Float32Array(3 * width);
      qkvBias.set(bias(l.query.bias, width), 0);
      qkvBias.set(bias(l.key.bias, width), width);
      qkvBias.set(bias(l.value.bias, width), 2 * width);
      return {
        heads: l.heads,
        inter: l.intermediate.outFeatures,
        qkv,
        qkvBias,
        attnOut: l.attentionOutput.weight,
        attnOutBias: bias(l.attentionOutput.bias, hidden),
        norm1Gamma: l.attentionNorm.gamma,
        norm1Beta: l.attentionNorm.beta,
        up: l.intermediate.weight,
        upBias: bias(l.intermediate.bias, l.intermediate.outFeatures),
        down: l.output.weight,
        downBias: bias(l.output.bias, hidden),
        norm2Gamma: l.outputNorm.gamma,
        norm2Beta: l.outputNorm.beta,
      };
    }),
  });
  return encoder ? { encoder } : { reason: 'the bfloat16 encoder addon did not load' };
}
