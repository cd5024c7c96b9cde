// A tiny BERT pair classifier whose every weight follows a formula (2 layers, hidden 32, the real
// 30,522-token vocabulary of the shared ms-marco MiniLM tokenizer), written as a Hugging Face folder. It
// checks plumbing, never ranking quality: test/fixtures/cross-encoder-reference.json holds the logits
// transformers' BertForSequenceClassification gives the same weights (see test/fixtures/README.md).

import { existsSync, readFileSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeSafetensors } from '../../src/models/index.js';
import { sharedDir } from '../../src/util/index.js';

export interface Reference {
  config: {
    vocab_size: number;
    hidden_size: number;
    num_hidden_layers: number;
    intermediate_size: number;
    max_position_embeddings: number;
    type_vocab_size: number;
    num_labels: number;
  };
  cases: { query: string; document: string; input_ids: number[]; logit: number }[];
}

/** The fixture: the model's config and transformers' logits for a few pairs. */
export const reference = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/cross-encoder-reference.json', import.meta.url), 'utf8'),
) as Reference;
export const tokenizerDir = join(sharedDir(), 'tokenizers', 'cross-encoder-ms-marco-MiniLM-L-12-v2');
/** Why the tiny cross-encoder cannot be built here (no shared tokenizer), or false. */
export const tinyCrossEncoderSkip =
  !existsSync(join(tokenizerDir, 'tokenizer.json')) && `no shared tokenizer at ${tokenizerDir}`;

/** The fixture's weight shapes, by the names BertForSequenceClassification uses. */
function shapes(c: Reference['config']): Map<string, number[]> {
  const h = c.hidden_size;
  const m = new Map<string, number[]>([
    ['bert.embeddings.word_embeddings.weight', [c.vocab_size, h]],
    ['bert.embeddings.position_embeddings.weight', [c.max_position_embeddings, h]],
    ['bert.embeddings.token_type_embeddings.weight', [c.type_vocab_size, h]],
    ['bert.embeddings.LayerNorm.weight', [h]],
    ['bert.embeddings.LayerNorm.bias', [h]],
    ['bert.pooler.dense.weight', [h, h]],
    ['bert.pooler.dense.bias', [h]],
    ['classifier.weight', [c.num_labels, h]],
    ['classifier.bias', [c.num_labels]],
  ]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `bert.encoder.layer.${i}`;
    for (const name of [
      'attention.self.query',
      'attention.self.key',
      'attention.self.value',
      'attention.output.dense',
    ]) {
      m.set(`${p}.${name}.weight`, [h, h]);
      m.set(`${p}.${name}.bias`, [h]);
    }
    m.set(`${p}.intermediate.dense.weight`, [c.intermediate_size, h]);
    m.set(`${p}.intermediate.dense.bias`, [c.intermediate_size]);
    m.set(`${p}.output.dense.weight`, [h, c.intermediate_size]);
    m.set(`${p}.output.dense.bias`, [h]);
    for (const norm of ['attention.output.LayerNorm', 'output.LayerNorm']) {
      m.set(`${p}.${norm}.weight`, [h]);
      m.set(`${p}.${norm}.bias`, [h]);
    }
  }
  return m;
}

/** Writes the tiny cross-encoder (config.json, model.safetensors, tokenizer.json) into `dir`. */
export async function writeTinyCrossEncoder(dir: string): Promise<void> {
  const all = shapes(reference.config);
  // Python sorts names as code points; so does this comparison.
  const names = [...all.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const tensors = names.map((name, t) => {
    const shape = all.get(name) ?? [];
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const offset = name.endsWith('LayerNorm.weight') ? 1 : 0;
    for (let k = 0; k < data.length; k++) data[k] = offset + 0.3 * Math.sin(0.1 * k + 1.3 * t);
    return { name, shape, data };
  });
  await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  await writeFile(join(dir, 'config.json'), JSON.stringify(reference.config));
  await copyFile(join(tokenizerDir, 'tokenizer.json'), join(dir, 'tokenizer.json'));
}
