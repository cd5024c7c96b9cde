// The item adapter of the embedding-token ranker (MixLM's item encoder, in sift's form): an item's stored
// embedding, the vector the index already keeps for every document (e.g. all-MiniLM-L6-v2's 384 values),
// mapped by a two-layer MLP, Linear → SiLU → Linear, to one vector of the decoder's hidden size, which the
// decoder reads in place of the item's text. The index's vectors are computed once per document when it
// is indexed, so an item costs the ranker one token instead of its ~128.
//
// The weights are a safetensors file beside the decoder, named as torch.nn.Sequential(Linear, SiLU, Linear)
// would save them under an `item_adapter` attribute.

import { SiftError } from '../errors.js';
import { readSafetensors } from '../models/index.js';

export const ITEM_ADAPTER_FILE = 'item-adapter.safetensors';

export const ITEM_ADAPTER_TENSORS = {
  inWeight: 'item_adapter.0.weight',
  inBias: 'item_adapter.0.bias',
  outWeight: 'item_adapter.2.weight',
  outBias: 'item_adapter.2.bias',
} as const;

export interface ItemAdapterWeights {
  inFeatures: number;
  hiddenFeatures: number;
  outFeatures: number;
  /** [hidden, in], [hidden], [out, hidden], [out] (torch.nn.Linear's layout). */
  inWeight: Float32Array;
  inBias: Float32Array;
  outWeight: Float32Array;
  outBias: Float32Array;
}

/** x·σ(x). */
export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/** One item's vector of the decoder's hidden size from its stored embedding. */
export function adaptItemVector(w: ItemAdapterWeights, embedding: Float32Array): Float32Array {
  if (embedding.length !== w.inFeatures)
    throw new SiftError(
      'E_BAD_ARGUMENT',
      `an item vector of ${embedding.length} values; the adapter reads ${w.inFeatures}`,
    );
  const hidden = new Float32Array(w.hiddenFeatures);
  for (let j = 0; j < w.hiddenFeatures; j++) {
    let s = w.inBias[j]!;
    const row = j * w.inFeatures;
    for (let i = 0; i < w.inFeatures; i++) s += w.inWeight[row + i]! * embedding[i]!;
    hidden[j] = silu(s);
  }
  const out = new Float32Array(w.outFeatures);
  for (let k = 0; k < w.outFeatures; k++) {
    let s = w.outBias[k]!;
    const row = k * w.hiddenFeatures;
    for (let j = 0; j < w.hiddenFeatures; j++) s += w.outWeight[row + j]! * hidden[j]!;
    out[k] = s;
  }
  return out;
}

/** Reads an adapter file, checking that its four tensors fit together. */
export async function readItemAdapter(file: string): Promise<ItemAdapterWeights> {
  const weights = await readSafetensors(file);
  const get = (name: string) => weights.float32(name);
  const inWeight = get(ITEM_ADAPTER_TENSORS.inWeight);
  const inBias = get(ITEM_ADAPTER_TENSORS.inBias);
  const outWeight = get(ITEM_ADAPTER_TENSORS.outWeight);
  const outBias = get(ITEM_ADAPTER_TENSORS.outBias);
  const [hiddenFeatures, inFeatures] = inWeight.shape as [number, number];
  const [outFeatures, outIn] = outWeight.shape as [number, number];
  if (
    inBias.data.length !== hiddenFeatures ||
    outIn !== hiddenFeatures ||
    outBias.data.length !== outFeatures
  )
    throw new SiftError('E_MODEL_LOAD', 'the item adapter tensors do not fit together', { file });
  return {
    inFeatures,
    hiddenFeatures,
    outFeatures,
    inWeight: inWeight.data.slice(),
    inBias: inBias.data.slice(),
    outWeight: outWeight.data.slice(),
    outBias: outBias.data.slice(),
  };
}
