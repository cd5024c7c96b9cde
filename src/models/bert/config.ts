// Reads a Hugging Face BERT-family config.json (BERT, MPNet) into the few numbers the graph builder needs,
// refusing what it cannot build.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SiftError } from '../../errors.js';

/**
 * The encoder families the builder knows. They share the post-LN block; MPNet (Song et al. 2020) differs in
 * its tensor names, in having no token types, in position ids that start after the padding id, and in a
 * bucketed relative-position bias added to every layer's attention scores (shared by all layers).
 */
export type EncoderArchitecture = 'bert' | 'mpnet';

export interface BertConfig {
  architecture: EncoderArchitecture;
  hiddenSize: number;
  numAttentionHeads: number;
  /** From config; the builder counts layers in the weights (pruned models may have fewer). */
  numHiddenLayers: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  /** head_dim = hidden / heads, fixed for every layer even when heads are pruned. */
  headDim: number;
  /** Position of the first token in the position table: 0 for BERT, pad_token_id + 1 for MPNet. */
  positionOffset: number;
  /** MPNet: buckets of the relative-position bias (relative_attention_num_buckets); 0 for BERT. */
  relativeAttentionBuckets: number;
}

/** The longest input the position table allows: MPNet's first positions belong to padding. */
export function positionCapacity(config: BertConfig): number {
  return config.maxPositionEmbeddings - config.positionOffset;
}

/** Activations the builder implements; HF BERT's "gelu" is the exact erf form. */
const SUPPORTED_ACTIVATIONS = new Set(['gelu']);

export function parseBertConfig(json: unknown, file: string): BertConfig {
  const fail = (detail: string, field?: string): never => {
    throw new SiftError('E_MODEL_CONFIG', detail, field ? { file, field } : { file });
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return fail('config is not a JSON object');
  const c = json as Record<string, unknown>;
  const modelType = c['model_type'];
  if (modelType !== 'bert' && modelType !== 'mpnet')
    fail(`model_type "${String(modelType)}" is not supported (only "bert" and "mpnet")`, 'model_type');
  const architecture = modelType as EncoderArchitecture;
  const int = (field: string, fallback?: number): number => {
    const value = c[field] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      return fail(`field "${field}" must be a positive integer`, field);
    }
    return value;
  };
  const activation = c['hidden_act'] ?? 'gelu';
  if (typeof activation !== 'string' || !SUPPORTED_ACTIVATIONS.has(activation)) {
    fail(`hidden_act "${String(activation)}" is not supported (only "gelu")`, 'hidden_act');
  }
  const positions = c['position_embedding_type'] ?? 'absolute';
  if (positions !== 'absolute') {
    fail(
      `position_embedding_type "${String(positions)}" is not supported (only "absolute")`,
      'position_embedding_type',
    );
  }
  const eps = c['layer_norm_eps'] ?? 1e-12;
  if (typeof eps !== 'number' || !(eps > 0))
    fail('field "layer_norm_eps" must be a positive number', 'layer_norm_eps');
  const hiddenSize = int('hidden_size');
  const numAttentionHeads = int('num_attention_heads');
  if (hiddenSize % numAttentionHeads !== 0) {
    fail(
      `hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numAttentionHeads}`,
      'num_attention_heads',
    );
  }
  const mpnet = architecture === 'mpnet';
  const padding = c['pad_token_id'] ?? 1;
  if (mpnet && (typeof padding !== 'number' || !Number.isInteger(padding) || padding < 0))
    fail('field "pad_token_id" must be an integer ≥ 0', 'pad_token_id');
  return {
    architecture,
    hiddenSize,
    numAttentionHeads,
    numHiddenLayers: int('num_hidden_layers'),
    intermediateSize: int('intermediate_size'),
    vocabSize: int('vocab_size'),
    maxPositionEmbeddings: int('max_position_embeddings'),
    typeVocabSize: int('type_vocab_size', 2),
    layerNormEps: eps as number,
    headDim: hiddenSize / numAttentionHeads,
    positionOffset: mpnet ? (padding as number) + 1 : 0,
    relativeAttentionBuckets: mpnet ? int('relative_attention_num_buckets', 32) : 0,
  };
}

/** Reads `<dir>/config.json`; a missing file is E_MODEL_FILE, bad JSON or fields E_MODEL_CONFIG. */
export async function readBertConfig(dir: string): Promise<{ config: BertConfig; text: string }> {
  const file = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SiftError('E_MODEL_FILE', 'the model folder has no config.json', { file }, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SiftError(
      'E_MODEL_CONFIG',
      `config.json is not valid JSON: ${(error as Error).message}`,
      { file },
      { cause: error },
    );
  }
  return { config: parseBertConfig(json, file), text };
}
