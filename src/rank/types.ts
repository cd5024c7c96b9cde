// The contract every second-stage ranker (cross-encoder, decoder-only yes/no scorer) fulfils.

/** One candidate as the ranker sees it: the fields it may lay out in its prompt. */
export interface RankCandidate {
  id: string;
  title: string;
  text: string;
  /** The document's stored embedding, for a ranker that reads items as vectors (Ranker.itemVectors). */
  vector?: Float32Array;
}

export interface Ranker {
  /** The ranker id in the registry, e.g. "smollm2-135m-yesno". */
  readonly id: string;
  /**
   * Scores each candidate against the query; higher is more relevant. Scores of one call are comparable
   * with each other (a probability for yes/no scorers, a logit for cross-encoders).
   */
  score(query: string, candidates: readonly RankCandidate[]): Promise<Float32Array>;
  /**
   * Tokens the model reads to score each candidate (after truncation; a shared query prefix counted
   * once, not per candidate). A latency budget sizes its chunks by them: cost follows length, not count.
   */
  tokensFor?(query: string, candidates: readonly RankCandidate[]): number[];
  /**
   * The embedder whose stored vectors this ranker reads (an embedding-token ranker): whoever builds its
   * candidates fills `vector` from the index's vectors of that model.
   */
  readonly itemVectors?: string;
  release(): Promise<void>;
}
