// Hybrid retrieval: BM25 and dense retrieval run side by side and their lists are fused (RRF by default).

import { type FusedHit, type FusionMethod, fuse } from './fusion.js';
import type { Hit, Retriever, SearchRequest } from './retriever.js';

export interface HybridOptions {
  fusion?: FusionMethod;
  /**
   * How deep each retriever's list goes before fusion. Default max(k, 100): RRF needs the documents
   * that one retriever ranks low to still be seen, and 100 keeps per-query cost bounded.
   */
  depth?: number;
  /** Weights per retriever name for weighted fusion (default 1 each). */
  weights?: Record<string, number>;
}

export class HybridRetriever implements Retriever {
  readonly name = 'hybrid';

  constructor(
    private readonly retrievers: readonly Retriever[],
    private readonly options: HybridOptions = {},
  ) {}

  async search(request: SearchRequest): Promise<FusedHit[]> {
    const depth = Math.max(request.k, this.options.depth ?? 100);
    const lists = await Promise.all(
      this.retrievers.map(async (retriever) => ({
        name: retriever.name,
        hits: (await retriever.search({ ...request, k: depth })) as Hit[],
        ...(this.options.weights?.[retriever.name] !== undefined
          ? { weight: this.options.weights[retriever.name] }
          : {}),
      })),
    );
    return fuse(lists, this.options.fusion).slice(0, request.k);
  }
}
