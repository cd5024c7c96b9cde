// Test support (not a test): writes a tiny random BERT folder — 2 layers, hidden 16, the real 30,522-token
// vocabulary — with the shared cross-encoder tokenizer's files, for training tests that need a model
// folder but not a pretrained one.

import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeSafetensors, TOKENIZER_FILES } from '../models/index.js';
import { Mulberry32, sharedDir } from '../util/index.js';

export const TINY_TOKENIZER_DIR = join(sharedDir(), 'tokenizers', 'cross-encoder-ms-marco-MiniLM-L-12-v2');

export async function writeTinyBert(dir: string, seed = 3): Promise<void> {
  const h = 16;
  const inter = 32;
  const vocab = 30522;
  const rng = new Mulberry32(seed);
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  const add = (name: string, shape: number[], scale = 0.1, offset = 0) =>
    tensors.push({
      name,
      shape,
      data: Float32Array.from(
        { length: shape.reduce((a, b) => a * b, 1) },
        () => offset + scale * rng.normal(),
      ),
    });
  add('embeddings.word_embeddings.weight', [vocab, h], 0.5);
  add('embeddings.position_embeddings.weight', [128, h], 0.2);
  add('embeddings.token_type_embeddings.weight', [2, h], 0.2);
  add('embeddings.LayerNorm.weight', [h], 0.05, 1);
  add('embeddings.LayerNorm.bias', [h], 0.05);
  for (let i = 0; i < 2; i++) {
    const p = `encoder.layer.${i}`;
    for (const part of [
      'attention.self.query',
      'attention.self.key',
      'attention.self.value',
      'attention.output.dense',
    ]) {
      add(`${p}.${part}.weight`, [h, h], 0.25);
      add(`${p}.${part}.bias`, [h], 0.05);
    }
    add(`${p}.attention.output.LayerNorm.weight`, [h], 0.05, 1);
    add(`${p}.attention.output.LayerNorm.bias`, [h], 0.05);
    add(`${p}.intermediate.dense.weight`, [inter, h], 0.25);
    add(`${p}.intermediate.dense.bias`, [inter], 0.05);
    add(`${p}.output.dense.weight`, [h, inter], 0.18);
    add(`${p}.output.dense.bias`, [h], 0.05);
    add(`${p}.output.LayerNorm.weight`, [h], 0.05, 1);
    add(`${p}.output.LayerNorm.bias`, [h], 0.05);
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  await writeFile(
    join(dir, 'config.json'),
    JSON.stringify({
      architectures: ['BertModel'],
      model_type: 'bert',
      hidden_size: h,
      num_attention_heads: 2,
      num_hidden_layers: 2,
      intermediate_size: inter,
      vocab_size: vocab,
      max_position_embeddings: 128,
      type_vocab_size: 2,
      layer_norm_eps: 1e-12,
      hidden_act: 'gelu',
    }),
  );
  for (const file of TOKENIZER_FILES) await copyFile(join(TINY_TOKENIZER_DIR, file), join(dir, file));
}
