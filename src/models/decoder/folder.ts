// A decoder as a Hugging Face folder, the form sift's trainer writes: config.json (LlamaConfig or
// Qwen2Config fields), model.safetensors (LlamaForCausalLM / Qwen2ForCausalLM tensor names), tokenizer.json
// and tokenizer_config.json (the chat template and the bos/eos tokens). The tokenizer is the one sift
// rebuilds from the base GGUF's vocabulary, so a trained folder tokenises exactly as its base did and
// needs no GGUF file; transformers loads the same folder.

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SiftError } from '../../errors.js';
import { readGguf } from '../gguf/gguf-file.js';
import { type GgufTokenizerInfo, ggufTokenizer } from '../gguf/gguf-tokenizer.js';
import { readSafetensors } from '../safetensors.js';
import { tokenizerFromJson } from '../tokenizer.js';
import { type DecoderConfig, decoderConfigFromGguf } from './config.js';
import { decoderWeightsFromHf } from './hf-weights.js';
import { type DecoderWeights, decoderWeightsFromGguf } from './weights.js';

const MODEL_TYPES: Record<DecoderConfig['architecture'], { type: string; architecture: string }> = {
  llama: { type: 'llama', architecture: 'LlamaForCausalLM' },
  qwen2: { type: 'qwen2', architecture: 'Qwen2ForCausalLM' },
};

/** config.json for a decoder of this shape (`intermediate` is the first layer's MLP width). */
export function decoderConfigJson(
  config: DecoderConfig,
  intermediate: number,
  tokens: { bosId: number | undefined; eosId: number | undefined },
): string {
  const { type, architecture } = MODEL_TYPES[config.architecture];
  const json = {
    architectures: [architecture],
    model_type: type,
    hidden_size: config.hidden,
    intermediate_size: intermediate,
    num_hidden_layers: config.layers,
    num_attention_heads: config.heads,
    num_key_value_heads: config.kvHeads,
    head_dim: config.headDim,
    vocab_size: config.vocabSize,
    max_position_embeddings: config.contextLength,
    rope_theta: config.ropeTheta,
    rms_norm_eps: config.rmsEpsilon,
    tie_word_embeddings: config.tiedEmbeddings,
    hidden_act: 'silu',
    attention_bias: config.architecture === 'qwen2',
    torch_dtype: 'float32',
    ...(tokens.bosId !== undefined ? { bos_token_id: tokens.bosId } : {}),
    ...(tokens.eosId !== undefined ? { eos_token_id: tokens.eosId } : {}),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** tokenizer.json and tokenizer_config.json of a GGUF's rebuilt tokenizer, by file name. */
export function decoderTokenizerFiles(info: GgufTokenizerInfo, file: string): Record<string, string> {
  if (!info.json)
    throw new SiftError(
      'E_MODEL_CONFIG',
      'only byte-level BPE decoder vocabularies can be saved as a folder',
      {
        file,
      },
    );
  const vocab = (info.json['model'] as { vocab: Record<string, number> }).vocab;
  const tokenOf = (id: number | undefined) =>
    id === undefined ? undefined : Object.keys(vocab).find((token) => vocab[token] === id);
  const config = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    ...(info.chatTemplate ? { chat_template: info.chatTemplate } : {}),
    ...(tokenOf(info.bosId) ? { bos_token: tokenOf(info.bosId) } : {}),
    ...(tokenOf(info.eosId) ? { eos_token: tokenOf(info.eosId) } : {}),
  };
  return {
    'tokenizer.json': `${JSON.stringify(info.json)}\n`,
    'tokenizer_config.json': `${JSON.stringify(config, null, 2)}\n`,
  };
}

export interface DecoderFolder {
  config: DecoderConfig;
  weights: DecoderWeights;
  tokenizer: GgufTokenizerInfo;
  /** Parameters of the blocks' matrices (what a forward pass multiplies per token). */
  blockParameters: number;
}

/** Reads a decoder folder; E_MODEL_FILE / E_MODEL_CONFIG / E_MODEL_LOAD name the file that is wrong. */
export async function readDecoderFolder(dir: string): Promise<DecoderFolder> {
  const configFile = join(dir, 'config.json');
  const hf = await readJson(configFile);
  const config = decoderConfigFromHf(hf, configFile);
  const tokenizerFile = join(dir, 'tokenizer.json');
  const tokenizerJson = await readJson(tokenizerFile);
  const tokenizerConfig: Record<string, unknown> = await readJson(join(dir, 'tokenizer_config.json')).catch(
    () => ({}),
  );
  const template = tokenizerConfig['chat_template'];
  const id = (key: string) => (typeof hf[key] === 'number' ? (hf[key] as number) : undefined);
  // The tokenizer is built with no tokenizer_config, as the GGUF path builds it, so both tokenise alike.
  const tokenizer: GgufTokenizerInfo = {
    tokenizer: tokenizerFromJson(tokenizerJson, {}, { file: tokenizerFile }),
    json: tokenizerJson,
    bosId: id('bos_token_id'),
    eosId: id('eos_token_id'),
    chatTemplate: typeof template === 'string' ? template : undefined,
  };
  const source = await readSafetensors(join(dir, 'model.safetensors'));
  const weights = decoderWeightsFromHf(source, config);
  let blockParameters = 0;
  for (const layer of weights.layers)
    for (const w of [layer.query, layer.key, layer.value, layer.output, layer.gate, layer.up, layer.down])
      blockParameters += w.weight.length;
  return { config, weights, tokenizer, blockParameters };
}

function decoderConfigFromHf(hf: Record<string, unknown>, file: string): DecoderConfig {
  const architecture = hf['model_type'];
  if (architecture !== 'llama' && architecture !== 'qwen2')
    throw new SiftError(
      'E_MODEL_CONFIG',
      `model_type ${JSON.stringify(architecture)} is not a supported decoder (llama, qwen2)`,
      {
        file,
        field: 'model_type',
      },
    );
  const number = (key: string, fallback?: number): number => {
    const value = hf[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new SiftError('E_MODEL_CONFIG', `"${key}" is missing or not a number`, { file, field: key });
    return value;
  };
  const heads = number('num_attention_heads');
  const hidden = number('hidden_size');
  return {
    architecture,
    layers: number('num_hidden_layers'),
    hidden,
    heads,
    kvHeads: number('num_key_value_heads', heads),
    headDim: number('head_dim', hidden / heads),
    vocabSize: number('vocab_size'),
    contextLength: number('max_position_embeddings', 2048),
    ropeTheta: number('rope_theta', 10000),
    rmsEpsilon: number('rms_norm_eps', 1e-5),
    // transformers' default for both families is untied.
    tiedEmbeddings: hf['tie_word_embeddings'] === true,
  };
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new SiftError('E_MODEL_FILE', 'the decoder folder is missing a file', { file }, { cause: error });
  });
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new SiftError(
      'E_MODEL_CONFIG',
      `not JSON: ${(error as Error).message}`,
      { file },
      { cause: error },
    );
  }
}

/**
 * A decoder to start training from: a GGUF file (dequantised to float32) or a decoder folder. The
 * intermediate width is the first layer's, for config.json.
 */
export async function readDecoderSource(path: string): Promise<DecoderFolder & { intermediate: number }> {
  const folder = (await stat(path).catch(() => undefined))?.isDirectory()
    ? await readDecoderFolder(path)
    : await readGgufDecoder(path);
  return { ...folder, intermediate: folder.weights.layers[0]?.gate.outFeatures ?? 0 };
}

async function readGgufDecoder(file: string): Promise<DecoderFolder> {
  const gguf = await readGguf(file);
  const config = decoderConfigFromGguf(gguf);
  let blockParameters = 0;
  for (const info of gguf.tensors.values())
    if (info.name.startsWith('blk.') && info.dims.length === 2) blockParameters += info.elements;
  return {
    config,
    weights: decoderWeightsFromGguf(gguf, config),
    tokenizer: ggufTokenizer(gguf),
    blockParameters,
  };
}
