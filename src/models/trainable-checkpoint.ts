// A pulled embedder as a checkpoint the training engine can start from. Most registry encoders ship
// safetensors and a config, and their own folder is that checkpoint. An embedder that ships only an
// ONNX export (paraphrase-MiniLM-L3-v2) is converted once into `<model>/checkpoint/`: its weights read
// back into Hugging Face names and layouts (onnx/onnx-weights.ts), a BERT config derived from their
// shapes and the registry's head count, and the tokenizer files beside them. Written to a temporary
// folder and renamed into place, so a kill never leaves half a checkpoint.

import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SiftError } from '../errors.js';
import { readOnnxBertWeights } from './onnx/onnx-weights.js';
import { ensureModel } from './pull.js';
import { embedderSpec } from './registry.js';
import { encodeSafetensors } from './safetensors.js';

export interface TrainableCheckpointOptions {
  home?: string;
  quiet?: boolean;
}

/** The folder (config.json + model.safetensors + tokenizer) the training engine starts from for `id`. */
export async function trainableCheckpoint(
  id: string,
  options: TrainableCheckpointOptions = {},
): Promise<string> {
  const dir = await ensureModel(id, {
    ...(options.home ? { home: options.home } : {}),
    quiet: options.quiet ?? false,
  });
  const arch = embedderSpec(id).architecture;
  if (arch.format !== 'onnx') return dir;
  const out = join(dir, 'checkpoint');
  if (existsSync(join(out, 'config.json')) && existsSync(join(out, 'model.safetensors'))) return out;

  const file = join(dir, arch.weights);
  const weights = await readOnnxBertWeights(file);
  const need = (name: string) => {
    const tensor = weights.get(name);
    if (!tensor) throw new SiftError('E_MODEL_LOAD', `the ONNX export has no tensor for ${name}`, { file });
    return tensor;
  };
  const words = need('embeddings.word_embeddings.weight');
  const layers = arch.layers;
  const names = [
    'embeddings.word_embeddings.weight',
    'embeddings.position_embeddings.weight',
    'embeddings.token_type_embeddings.weight',
    'embeddings.LayerNorm.weight',
    'embeddings.LayerNorm.bias',
  ];
  for (let i = 0; i < layers; i++) {
    for (const part of [
      'attention.self.query',
      'attention.self.key',
      'attention.self.value',
      'attention.output.dense',
      'attention.output.LayerNorm',
      'intermediate.dense',
      'output.dense',
      'output.LayerNorm',
    ]) {
      names.push(`encoder.layer.${i}.${part}.weight`, `encoder.layer.${i}.${part}.bias`);
    }
  }
  const tensors = names.map((name) => ({ name, shape: need(name).shape, data: need(name).data }));
  if (arch.heads === undefined) {
    throw new SiftError('E_MODEL_CONFIG', `the registry does not say how many attention heads ${id} has`, {
      file,
    });
  }
  const config = {
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: words.shape[0],
    hidden_size: words.shape[1],
    num_hidden_layers: layers,
    num_attention_heads: arch.heads,
    intermediate_size: need('encoder.layer.0.intermediate.dense.weight').shape[0],
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: need('embeddings.position_embeddings.weight').shape[0],
    type_vocab_size: need('embeddings.token_type_embeddings.weight').shape[0],
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
  };

  const staging = `${out}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await writeFile(
    join(staging, 'model.safetensors'),
    encodeSafetensors(tensors, { format: 'pt', source: arch.weights }),
  );
  await writeFile(join(staging, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (
      entry.isFile() &&
      /^(tokenizer\.json|tokenizer_config\.json|vocab\.txt|special_tokens_map\.json)$/.test(entry.name)
    )
      await copyFile(join(dir, entry.name), join(staging, entry.name));
  }
  try {
    await rename(staging, out);
  } catch (error) {
    // Another process converted it first (the rename of a folder over a non-empty one fails): keep theirs.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(join(out, 'model.safetensors'))) throw error;
  }
  return out;
}
