// The contracts the rest of sift sees of a model: an Encoder turns texts into vectors.

/** Whether a text is a query or a document; asymmetric models (e5, bge) prefix them differently. */
export type TextRole = 'query' | 'document';

export interface Encoder {
  /** The model id in the registry, e.g. "all-minilm-l6-v2". Stored in vector files to refuse mixing models. */
  readonly id: string;
  readonly dimension: number;
  /** Whether output rows have unit L2 norm (then dot product = cosine). */
  readonly normalized: boolean;
  /**
   * Embeds texts; returns a row-major Float32Array of texts.length × dimension.
   * Texts are batched (sorted by length internally) and truncated to the model's max length.
   */
  encode(texts: readonly string[], role?: TextRole): Promise<Float32Array>;
  release(): Promise<void>;
}
