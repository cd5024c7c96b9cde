// The embedding-token ranker (MixLM, issue 16's context compression (b)): a yes/no decoder that reads each
// item as one vector instead of its text. The prompt is the decoder ranker's own,
// `[prefix: instructions + query][item][suffix]`, with the item's part replaced by a single position whose
// input is the item adapter's vector (item-adapter.ts) in place of a token embedding. The prefix is
// computed once per query and shared, as in DecoderRanker, so an item costs 1 + |suffix| token positions.
//
// Its candidates must carry their stored embedding (`RankCandidate.vector`, from the index's vectors of
// the embedder named by `itemVectors`); one without it is an error, never a silent fallback to text.

import { SiftError } from '../errors.js';
import type { DecoderRanker } from './decoder-ranker.js';
import { adaptItemVector, type ItemAdapterWeights } from './item-adapter.js';
import type { RankCandidate, Ranker } from './types.js';

/** The token id at the item's position: ignored (the vector replaces its embedding), any valid id does. */
const VECTOR_SLOT = 0;

export class EmbeddingTokenRanker implements Ranker {
  readonly id: string;

  constructor(
    /** The decoder ranker whose prompt and labels this one uses; its model was loaded with vector inputs. */
    private readonly text: DecoderRanker,
    private readonly adapter: ItemAdapterWeights,
    /** The embedder whose stored vectors the candidates carry. */
    readonly itemVectors: string,
  ) {
    this.id = text.id;
    if (adapter.outFeatures !== text.model.config.hidden)
      throw new SiftError(
        'E_MODEL_CONFIG',
        `the item adapter makes ${adapter.outFeatures} values; ${text.id}'s hidden size is ${text.model.config.hidden}`,
      );
  }

  /** The item's part of the prompt: the vector's position, then the suffix. */
  itemTokens(): number[] {
    return [VECTOR_SLOT, ...this.text.suffixTokens];
  }

  tokensFor(_query: string, candidates: readonly RankCandidate[]): number[] {
    return new Array<number>(candidates.length).fill(1 + this.text.suffixTokens.length);
  }

  async score(query: string, candidates: readonly RankCandidate[]): Promise<Float32Array> {
    const scores = new Float32Array(candidates.length);
    if (candidates.length === 0) return scores;
    const vectors = candidates.map((c) => {
      if (!c.vector)
        throw new SiftError(
          'E_RANKER_VECTORS',
          `${this.id} reads items as ${this.itemVectors} vectors, and document "${c.id}" came without one`,
          { field: 'vector' },
        );
      return adaptItemVector(this.adapter, c.vector);
    });
    const { yes, no } = this.text.labelTokenIds;
    const model = this.text.model;
    const { cache } = await model.prefill({
      rows: [this.text.prefixTokens(query)],
      logitIds: [yes],
      wantCache: true,
    });
    const row = this.itemTokens();
    const batchSize = 64;
    for (let start = 0; start < candidates.length; start += batchSize) {
      const count = Math.min(batchSize, candidates.length - start);
      const { logits } = await model.prefill({
        rows: Array.from({ length: count }, () => row),
        ...(cache ? { past: cache } : {}),
        logitIds: [yes, no],
        vectors: Array.from({ length: count }, (_, i) => ({ row: i, at: 0, vector: vectors[start + i]! })),
      });
      for (let i = 0; i < count; i++) {
        const margin = (logits[2 * i] ?? 0) - (logits[2 * i + 1] ?? 0);
        scores[start + i] = 1 / (1 + Math.exp(-margin));
      }
    }
    return scores;
  }

  release(): Promise<void> {
    return this.text.release();
  }
}
