// A decoder's weights from a Hugging Face checkpoint (LlamaForCausalLM / Qwen2ForCausalLM tensor names), the
// form the training engine saves: the same DecoderWeights the GGUF reader gives, so sift's graph builder
// and the trainer load either. Every tensor's shape is checked against the config; a missing or
// mis-shaped tensor is an E_MODEL_LOAD naming the file and the tensor.

import { SiftError } from '../../errors.js';
import type { WeightSource } from '../bert/weights.js';
import type { LinearWeights } from '../onnx/layers.js';
import type { DecoderConfig } from './config.js';
import type { DecoderLayerWeights, DecoderWeights } from './weights.js';

export function decoderWeightsFromHf(source: WeightSource, config: DecoderConfig): DecoderWeights {
  const { hidden, heads, kvHeads, headDim, vocabSize } = config;
  const read = (name: string, dims: readonly (number | undefined)[]): Float32Array => {
    if (!source.has(name))
      throw new SiftError('E_MODEL_LOAD', `the checkpoint has no tensor "${name}"`, { file: source.file });
    const tensor = source.float32(name);
    const ok =
      tensor.shape.length === dims.length && dims.every((d, i) => d === undefined || tensor.shape[i] === d);
    if (!ok)
      throw new SiftError(
        'E_MODEL_LOAD',
        `tensor "${name}" has shape [${tensor.shape}], expected [${dims.map((d) => d ?? '?')}]`,
        { file: source.file },
      );
    return tensor.data;
  };
  const linear = (
    name: string,
    out: number | undefined,
    inFeatures: number,
    bias: boolean,
  ): LinearWeights => {
    const weight = read(`${name}.weight`, [out, inFeatures]);
    const outFeatures = weight.length / inFeatures;
    const w: LinearWeights = { weight, inFeatures, outFeatures };
    if (bias) w.bias = read(`${name}.bias`, [outFeatures]);
    return w;
  };
  const biases = config.architecture === 'qwen2';
  const layers: DecoderLayerWeights[] = [];
  for (let i = 0; i < config.layers; i++) {
    const p = `model.layers.${i}`;
    const gate = linear(`${p}.mlp.gate_proj`, undefined, hidden, false);
    layers.push({
      index: i,
      attentionNorm: read(`${p}.input_layernorm.weight`, [hidden]),
      query: linear(`${p}.self_attn.q_proj`, heads * headDim, hidden, biases),
      key: linear(`${p}.self_attn.k_proj`, kvHeads * headDim, hidden, biases),
      value: linear(`${p}.self_attn.v_proj`, kvHeads * headDim, hidden, biases),
      output: linear(`${p}.self_attn.o_proj`, hidden, heads * headDim, false),
      mlpNorm: read(`${p}.post_attention_layernorm.weight`, [hidden]),
      gate,
      up: linear(`${p}.mlp.up_proj`, gate.outFeatures, hidden, false),
      down: linear(`${p}.mlp.down_proj`, hidden, gate.outFeatures, false),
    });
  }
  const weights: DecoderWeights = {
    embedding: read('model.embed_tokens.weight', [vocabSize, hidden]),
    layers,
    finalNorm: read('model.norm.weight', [hidden]),
  };
  if (!config.tiedEmbeddings) weights.outputProjection = read('lm_head.weight', [vocabSize, hidden]);
  return weights;
}
