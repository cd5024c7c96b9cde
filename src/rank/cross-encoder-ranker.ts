// The cross-encoder ranker: a BERT sequence-pair classifier reads "[CLS] query [SEP] document [SEP]" and
// its logit is the score. Built by the same graph builder as the embedders (the 'classifier' head), from
// a Hugging Face folder (config.json, model.safetensors, tokenizer.json).
//
// Pairs are tokenized with the query kept whole and the document cut to fit (`only_second`), sorted by
// length and batched, so padding stays small. One label: the score is that logit (ms-marco style); two
// labels: the logit margin of "relevant" (label 1) over label 0.

import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { SiftError } from '../errors.js';
import {
  type BertGraphOptions,
  loadTokenizer,
  openBertGraph,
  openNativeBertEncoder,
  positionCapacity,
  preferredWeightType,
  readBertConfig,
  type TextTokenizer,
} from '../models/index.js';
import { type NativeEncoder, nativeEncoderByDefault, type Session, tensor } from '../runtime/index.js';
import type { RankCandidate, Ranker } from './types.js';

export interface CrossEncoderOptions {
  id: string;
  /** Longest pair in tokens, special tokens included. Default 512 (or the model's positions). */
  maxLength?: number;
  batchSize?: number;
  threads?: number;
  cacheGraph?: boolean;
  /**
   * 'int8': the encoder's MatMuls with int8 weights, dynamically quantised activations (embeddings and head
   * float32). 'bf16': sift's native encoder (bfloat16 products, float32 sums) where the CPU has it, else the
   * float32 graph. Default ('auto'): bf16 where the native encoder runs on AMX, else float32, as for embedders.
   */
  dtype?: 'fp32' | 'int8' | 'bf16';
}

export async function loadCrossEncoder(
  dir: string,
  options: CrossEncoderOptions,
): Promise<CrossEncoderRanker> {
  const { config, text } = await readBertConfig(dir);
  // The pair classifier head (pooler + classifier) and the token-type input are BERT's; other encoder
  // families name and shape their classification heads differently.
  if (config.architecture !== 'bert') {
    throw new SiftError(
      'E_MODEL_CONFIG',
      `cross-encoders must be BERT models; this one is "${config.architecture}"`,
      { file: join(dir, 'config.json'), field: 'model_type' },
    );
  }
  const maxLength = Math.min(options.maxLength ?? 512, positionCapacity(config));
  const tokenizer = await loadTokenizer(dir, { maxLength });
  const dtype = options.dtype ?? (nativeEncoderByDefault() ? 'bf16' : 'fp32');
  if (dtype === 'bf16') {
    const opened = await openNativeBertEncoder(dir, config, {
      pooling: 'cls',
      normalize: false,
      maxLength,
      head: 'classifier',
    });
    if ('encoder' in opened) {
      return new CrossEncoderRanker(options.id, tokenizer, { native: opened.encoder }, maxLength, options);
    }
  }
  const graphOptions: BertGraphOptions = { pooling: 'none', normalize: false, head: 'classifier' };
  if (dtype === 'int8') {
    graphOptions.quantize = 'int8';
    // Resolved here, not inside the builder, so the graph cache key says which kernels it targets.
    graphOptions.weightType = preferredWeightType();
  }
  const { session } = await openBertGraph(dir, { parsed: config, text }, graphOptions, {
    cache: options.cacheGraph ?? true,
    session: { name: options.id, ...(options.threads ? { intraOpThreads: options.threads } : {}) },
  });
  return new CrossEncoderRanker(options.id, tokenizer, { session }, maxLength, options);
}

const NATIVE_CHUNK = 16;

/** Row `row`'s score in a [rows × labels] logit matrix: the logit, or label 1's margin over label 0. */
function labelScore(logits: Float32Array, row: number, labels: number): number {
  return labels === 1 ? (logits[row] ?? 0) : (logits[row * labels + 1] ?? 0) - (logits[row * labels] ?? 0);
}

/** What scores the pairs: an ONNX Runtime session of the graph, or the native bf16 encoder. */
type PairModel = { session: Session } | { native: NativeEncoder };

export class CrossEncoderRanker implements Ranker {
  constructor(
    readonly id: string,
    private readonly tokenizer: TextTokenizer,
    private readonly model: PairModel,
    private readonly maxLength: number,
    private readonly options: CrossEncoderOptions,
  ) {}

  /** 'onnxruntime', or the native encoder's kernel ('amx-bf16', 'avx512-bf16'). */
  get kernel(): string {
    return 'native' in this.model ? this.model.native.variant : 'onnxruntime';
  }

  /** Query and candidate as one pair, cut on the candidate's side to the model's length. */
  private encode(query: string, candidates: readonly RankCandidate[]) {
    return this.tokenizer.encodePairs(
      candidates.map(() => query),
      candidates.map((c) => (c.title.trim() === '' ? c.text : `${c.title}\n${c.text}`)),
      { maxLength: this.maxLength, truncation: 'only_second' },
    );
  }

  tokensFor(query: string, candidates: readonly RankCandidate[]): number[] {
    const { ids } = this.encode(query, candidates);
    return candidates.map((_, i) => ids[i]?.length ?? 0);
  }

  async score(query: string, candidates: readonly RankCandidate[]): Promise<Float32Array> {
    const scores = new Float32Array(candidates.length);
    const todo = candidates.map((_, index) => ({ index }));
    if (todo.length === 0) return scores;
    const encoded = this.encode(query, candidates);
    const { model } = this;
    if ('native' in model) {
      // Nothing is padded, so pairs need no sorting; chunks only bound the activations' memory (about 20 KB
      // a token for MiniLM: 16 pairs of 512 tokens hold 160 MB) while the threads split each chunk by tokens.
      const labels = model.native.outWidth;
      const threads = this.options.threads ?? availableParallelism();
      for (let start = 0; start < candidates.length; start += NATIVE_CHUNK) {
        const end = Math.min(candidates.length, start + NATIVE_CHUNK);
        const logits = await model.native.encode(
          encoded.ids.slice(start, end),
          threads,
          encoded.typeIds.slice(start, end),
        );
        for (let i = start; i < end; i++) scores[i] = labelScore(logits, i - start, labels);
      }
      return scores;
    }
    const { session } = model;
    const order = todo
      .map((_, i) => i)
      .sort((a, b) => (encoded.ids[b]?.length ?? 0) - (encoded.ids[a]?.length ?? 0));
    const batchSize = this.options.batchSize ?? 16;
    for (let start = 0; start < order.length; start += batchSize) {
      const rows = order.slice(start, start + batchSize);
      const sequence = Math.max(...rows.map((r) => encoded.ids[r]?.length ?? 0));
      const ids = new BigInt64Array(rows.length * sequence);
      const mask = new BigInt64Array(rows.length * sequence);
      const types = new BigInt64Array(rows.length * sequence);
      rows.forEach((r, b) => {
        const rowIds = encoded.ids[r] ?? new Int32Array(0);
        const rowTypes = encoded.typeIds[r] ?? new Int32Array(0);
        for (let t = 0; t < rowIds.length; t++) {
          ids[b * sequence + t] = BigInt(rowIds[t] ?? 0);
          mask[b * sequence + t] = 1n;
          types[b * sequence + t] = BigInt(rowTypes[t] ?? 0);
        }
      });
      const dims = [rows.length, sequence];
      const out = await session.run({
        input_ids: tensor('int64', ids, dims),
        attention_mask: tensor('int64', mask, dims),
        token_type_ids: tensor('int64', types, dims),
      });
      const logits = out.logits;
      if (!logits) throw new SiftError('E_MODEL_LOAD', `${this.id}: the graph returned no logits`);
      const labels = Number(logits.dims[1]);
      const data = logits.data as Float32Array;
      rows.forEach((r, b) => {
        const item = todo[r];
        if (!item) return;
        scores[item.index] = labelScore(data, b, labels);
      });
    }
    return scores;
  }

  async release(): Promise<void> {
    if ('session' in this.model) await this.model.session.release();
  }
}
