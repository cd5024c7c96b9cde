// A decoder-only language model running as one ONNX Runtime session: a prefill over new tokens that may
// attend to a key/value cache, returning next-token logits for chosen vocabulary rows at one position per row.
//
// The graph is built from the GGUF file, or from a trained decoder's Hugging Face folder (graph.ts), and
// cached beside it; its cache key holds the builder version, the options and the weights file's size and
// mtime, so a replaced file or a new builder rebuilds it.

import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SiftError } from '../../errors.js';
import { type OrtTensor, openCachedGraph, type Session, tensor } from '../../runtime/index.js';
import { readGguf } from '../gguf/gguf-file.js';
import { type GgufTokenizerInfo, ggufTokenizer } from '../gguf/gguf-tokenizer.js';
import { preferredWeightType } from '../quantize.js';
import { type DecoderConfig, decoderConfigFromGguf } from './config.js';
import { readDecoderFolder } from './folder.js';
import { buildDecoderGraph, DECODER_GRAPH_VERSION, type DecoderGraphOptions } from './graph.js';
import { type DecoderWeights, decoderWeightsFromGguf } from './weights.js';

export type DecoderDtype = 'fp32' | 'int8';

export interface LoadDecoderOptions {
  /** The registry id, for messages. */
  id: string;
  dtype?: DecoderDtype;
  /** Threads for one operator; default every core. */
  threads?: number;
  /** Write the built graph beside the weights (default true). */
  cacheGraph?: boolean;
  /** 'next-token' (default): `logitIds` at `logitIndex`; 'sequence': `scoreTokens` log probabilities. */
  head?: 'next-token' | 'sequence';
  /** A graph that takes vectors in place of token embeddings (PrefillRequest.vectors). */
  vectorInputs?: boolean;
}

/** Per-layer keys and values of `length` cached tokens for `batch` rows (1 = shared by every row). */
export interface KvCache {
  batch: number;
  length: number;
  keys: OrtTensor[];
  values: OrtTensor[];
}

export interface PrefillRequest {
  /** Rows of token ids; shorter rows are padded (their padding is masked and never read). */
  rows: readonly (ArrayLike<number> & { length: number })[];
  /** Position of each row's first token; default the cache length. A row's positions then count up by 1. */
  startPositions?: readonly number[];
  /** Explicit positions per token (packed items restart them), overriding `startPositions`. */
  positionIds?: readonly (readonly number[])[];
  /** Cached tokens every row attends to, all of them (a shared prefix, or this row's own history). */
  past?: KvCache;
  /**
   * Which earlier tokens of its own row a token may see; default causal (all earlier ones). Packed
   * items pass `(row, query, key) => …` to keep items from seeing each other.
   */
  visible?: (row: number, query: number, key: number) => boolean;
  /** Position in each row whose next-token logits are wanted; default each row's last token. */
  logitIndex?: readonly number[];
  /** Vocabulary rows to score (next-token head). */
  logitIds?: readonly number[];
  /**
   * Sequence head: per row, positions and the token expected right after each; the result's
   * `tokenLogprobs` holds log p(token | everything up to its position). Rows may list different counts.
   */
  scoreTokens?: readonly { positions: readonly number[]; ids: readonly number[] }[];
  /** Return the cache extended by these tokens (a shared one-row cache is repeated for each row). */
  wantCache?: boolean;
  /**
   * Vectors read in place of the token embeddings at these positions (a graph loaded with vectorInputs):
   * `row`, the position `at` in it, and a vector of the model's hidden size. The token id there is ignored.
   */
  vectors?: readonly { row: number; at: number; vector: Float32Array }[];
}

export interface PrefillResult {
  /** Row-major [rows, logitIds.length] (next-token head; empty for the sequence head). */
  logits: Float32Array;
  /** Sequence head: row-major [rows, longest scoreTokens list]; entries past a row's own list are padding. */
  tokenLogprobs?: Float32Array;
  cache?: KvCache;
}

export interface DecoderModel {
  readonly id: string;
  readonly config: DecoderConfig;
  readonly dtype: DecoderDtype;
  readonly tokenizer: GgufTokenizerInfo;
  readonly graphPath: string | undefined;
  /** Weights of the transformer blocks' matrices (what one token's forward pass multiplies by, ×2 FLOPs). */
  readonly blockParameters: number;
  /** Token ids of a text as the model reads it (chat markers as special tokens, nothing added, no cut). */
  encode(text: string): number[];
  /** An empty cache (length 0) to start from. */
  emptyCache(): KvCache;
  prefill(request: PrefillRequest): Promise<PrefillResult>;
  release(): Promise<void>;
}

/** The first `length` cached tokens of a cache (e.g. a system prompt's part of a longer prompt). */
export function truncateCache(cache: KvCache, length: number): KvCache {
  if (length > cache.length)
    throw new SiftError('E_BAD_ARGUMENT', `a cache of ${cache.length} tokens has no first ${length}`);
  const cut = (t: OrtTensor): OrtTensor => {
    const [batch = 1, heads = 1, total = 0, dim = 1] = t.dims as number[];
    const data = t.data as Float32Array;
    const out = new Float32Array(batch * heads * length * dim);
    for (let bh = 0; bh < batch * heads; bh++) {
      out.set(data.subarray(bh * total * dim, bh * total * dim + length * dim), bh * length * dim);
    }
    return tensor('float32', out, [batch, heads, length, dim]);
  };
  return { batch: cache.batch, length, keys: cache.keys.map(cut), values: cache.values.map(cut) };
}

/**
 * [rows, kv, P, d] ⊕ [batch, kv, S, d] along the token axis; a one-row cache is repeated for every row.
 * Padding tokens of shorter rows are appended too (callers extending a cache use rows of equal length).
 */
function appendCache(
  cached: OrtTensor | undefined,
  added: OrtTensor,
  pastLength: number,
  batch: number,
  config: DecoderConfig,
): OrtTensor {
  if (pastLength === 0 || cached === undefined) return added;
  const { kvHeads, headDim } = config;
  const newLength = (added.dims[2] as number) ?? 0;
  const total = pastLength + newLength;
  const old = cached.data as Float32Array;
  const fresh = added.data as Float32Array;
  const out = new Float32Array(batch * kvHeads * total * headDim);
  const shared = (cached.dims[0] as number) === 1;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < kvHeads; h++) {
      const to = (b * kvHeads + h) * total * headDim;
      const fromOld = ((shared ? 0 : b) * kvHeads + h) * pastLength * headDim;
      out.set(old.subarray(fromOld, fromOld + pastLength * headDim), to);
      const fromNew = (b * kvHeads + h) * newLength * headDim;
      out.set(fresh.subarray(fromNew, fromNew + newLength * headDim), to + pastLength * headDim);
    }
  }
  return tensor('float32', out, [batch, kvHeads, total, headDim]);
}

/** Additive attention bias for a blocked key: large enough that exp() underflows to 0 in float32. */
const BLOCKED = -1e9;

/** Loads a decoder from a GGUF file: reads the shape and vocabulary, builds (or reuses) the graph, opens it. */
export async function loadDecoder(file: string, options: LoadDecoderOptions): Promise<DecoderModel> {
  const gguf = await readGguf(file);
  const config = decoderConfigFromGguf(gguf);
  let blockParameters = 0;
  for (const info of gguf.tensors.values()) {
    if (info.name.startsWith('blk.') && info.dims.length === 2) blockParameters += info.elements;
  }
  return openDecoderGraph(file, options, {
    config,
    tokenizer: ggufTokenizer(gguf),
    weights: () => decoderWeightsFromGguf(gguf, config),
    blockParameters,
  });
}

/**
 * Loads a decoder from a Hugging Face folder (config.json, model.safetensors, tokenizer.json), the form
 * `sift train` writes a trained decoder ranker in; the graph is cached in the folder like a GGUF's.
 */
export async function loadDecoderFolder(dir: string, options: LoadDecoderOptions): Promise<DecoderModel> {
  const folder = await readDecoderFolder(dir);
  return openDecoderGraph(join(dir, 'model.safetensors'), options, {
    config: folder.config,
    tokenizer: folder.tokenizer,
    weights: () => folder.weights,
    blockParameters: folder.blockParameters,
  });
}

async function openDecoderGraph(
  weightsFile: string,
  options: LoadDecoderOptions,
  model: {
    config: DecoderConfig;
    tokenizer: GgufTokenizerInfo;
    weights: () => DecoderWeights;
    blockParameters: number;
  },
): Promise<DecoderModel> {
  const { config, tokenizer } = model;
  const dtype = options.dtype ?? 'fp32';
  const graphOptions: DecoderGraphOptions =
    dtype === 'int8' ? { quantize: 'int8', weightType: preferredWeightType() } : {};
  if (options.head === 'sequence') graphOptions.head = 'sequence';
  if (options.vectorInputs) graphOptions.vectorInputs = true;
  const fileStat = await stat(weightsFile);
  const key = {
    builder: DECODER_GRAPH_VERSION,
    config,
    graphOptions,
    weights: { bytes: fileStat.size, mtimeMs: fileStat.mtimeMs },
  };
  const build = (dataFile: string) => buildDecoderGraph(config, model.weights(), graphOptions, dataFile);
  const { session, path } = await openCachedGraph(
    dirname(weightsFile),
    key,
    build,
    options.cacheGraph ?? true,
    {
      name: options.id,
      ...(options.threads ? { intraOpThreads: options.threads } : {}),
    },
  );
  return new OrtDecoderModel(options.id, config, dtype, tokenizer, session, path, model.blockParameters);
}

class OrtDecoderModel implements DecoderModel {
  constructor(
    readonly id: string,
    readonly config: DecoderConfig,
    readonly dtype: DecoderDtype,
    readonly tokenizer: GgufTokenizerInfo,
    private readonly session: Session,
    readonly graphPath: string | undefined,
    readonly blockParameters: number,
  ) {}

  encode(text: string): number[] {
    if (text === '') return [];
    return Array.from(this.tokenizer.tokenizer.encodeBatch([text], { maxLength: 1_000_000 }).ids[0] ?? []);
  }

  emptyCache(): KvCache {
    const { layers, kvHeads, headDim } = this.config;
    const empty = () => tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);
    return {
      batch: 1,
      length: 0,
      keys: Array.from({ length: layers }, empty),
      values: Array.from({ length: layers }, empty),
    };
  }

  async prefill(request: PrefillRequest): Promise<PrefillResult> {
    const { rows } = request;
    const logitIds = request.logitIds ?? [];
    const batch = rows.length;
    if (batch === 0) return { logits: new Float32Array(0) };
    const past = request.past ?? this.emptyCache();
    if (past.batch !== 1 && past.batch !== batch) {
      throw new SiftError('E_BAD_ARGUMENT', `a cache of ${past.batch} rows cannot serve ${batch} rows`);
    }
    const sequence = Math.max(...rows.map((r) => r.length));
    if (sequence === 0) throw new SiftError('E_BAD_ARGUMENT', 'prefill rows must not be empty');
    const total = past.length + sequence;
    const ids = new BigInt64Array(batch * sequence);
    const positions = new BigInt64Array(batch * sequence);
    const bias = new Float32Array(batch * sequence * total);
    const logitIndex = new BigInt64Array(batch);
    const visible = request.visible ?? ((_row: number, query: number, key: number) => key <= query);
    const limit = this.config.contextLength;
    rows.forEach((row, b) => {
      const start = request.startPositions?.[b] ?? past.length;
      const explicit = request.positionIds?.[b];
      if (explicit && explicit.length !== row.length) {
        throw new SiftError(
          'E_BAD_ARGUMENT',
          `row ${b} has ${row.length} tokens but ${explicit.length} positions`,
        );
      }
      if (start + row.length > limit) {
        throw new SiftError(
          'E_BAD_ARGUMENT',
          `position ${start + row.length} exceeds the context length ${limit}`,
        );
      }
      for (let t = 0; t < sequence; t++) {
        const at = b * sequence + t;
        ids[at] = BigInt(t < row.length ? (row[t] ?? 0) : 0);
        positions[at] = BigInt(t < row.length ? (explicit?.[t] ?? start + t) : start);
        const biasRow = at * total;
        // Cached tokens are visible to every real token; padding rows see only the cache (never read).
        for (let k = 0; k < sequence; k++) {
          if (!(t < row.length && k < row.length && visible(b, t, k)))
            bias[biasRow + past.length + k] = BLOCKED;
        }
      }
      const index = request.logitIndex?.[b] ?? row.length - 1;
      if (index < 0 || index >= row.length)
        throw new SiftError('E_BAD_ARGUMENT', `logit index ${index} is outside row ${b}`);
      logitIndex[b] = BigInt(index);
    });
    const feeds: Record<string, OrtTensor> = {
      input_ids: tensor('int64', ids, [batch, sequence]),
      position_ids: tensor('int64', positions, [batch, sequence]),
      attention_bias: tensor('float32', bias, [batch, sequence, total]),
    };
    const sequenceHead = this.session.inputNames.includes('score_ids');
    if (sequenceHead) {
      const lists = request.scoreTokens ?? [];
      if (lists.length !== batch)
        throw new SiftError('E_BAD_ARGUMENT', 'the sequence head needs scoreTokens for every row');
      const scored = Math.max(1, ...lists.map((l) => l.ids.length));
      const at = new BigInt64Array(batch * scored);
      const next = new BigInt64Array(batch * scored);
      lists.forEach((list, b) => {
        list.ids.forEach((id, j) => {
          const position = list.positions[j] ?? 0;
          if (position < 0 || position >= (rows[b]?.length ?? 0)) {
            throw new SiftError('E_BAD_ARGUMENT', `scored position ${position} is outside row ${b}`);
          }
          at[b * scored + j] = BigInt(position);
          next[b * scored + j] = BigInt(id);
        });
      });
      feeds.score_positions = tensor('int64', at, [batch, scored]);
      feeds.score_ids = tensor('int64', next, [batch, scored]);
    } else {
      feeds.logit_index = tensor('int64', logitIndex, [batch]);
      feeds.logit_ids = tensor(
        'int64',
        BigInt64Array.from(logitIds, (v) => BigInt(v)),
        [logitIds.length],
      );
    }
    if (this.session.inputNames.includes('input_vectors')) {
      Object.assign(feeds, this.vectorFeeds(request.vectors ?? [], rows, sequence));
    } else if (request.vectors?.length) {
      throw new SiftError('E_BAD_ARGUMENT', `${this.id} was not loaded with vector inputs`);
    }
    for (let i = 0; i < this.config.layers; i++) {
      feeds[`past.${i}.key`] = past.keys[i] as OrtTensor;
      feeds[`past.${i}.value`] = past.values[i] as OrtTensor;
    }
    const wantCache = request.wantCache ?? false;
    const outputNames = [sequenceHead ? 'token_logprobs' : 'logits'];
    if (wantCache) {
      for (let i = 0; i < this.config.layers; i++) outputNames.push(`new.${i}.key`, `new.${i}.value`);
    }
    const out = await this.session.run(feeds, outputNames);
    if (sequenceHead)
      return { logits: new Float32Array(0), tokenLogprobs: out.token_logprobs?.data as Float32Array };
    const logits = out.logits?.data as Float32Array;
    if (!wantCache) return { logits };
    const extend = (cached: OrtTensor | undefined, name: string) =>
      appendCache(cached, out[name] as OrtTensor, past.length, batch, this.config);
    return {
      logits,
      cache: {
        batch,
        length: total,
        keys: Array.from({ length: this.config.layers }, (_, i) => extend(past.keys[i], `new.${i}.key`)),
        values: Array.from({ length: this.config.layers }, (_, i) =>
          extend(past.values[i], `new.${i}.value`),
        ),
      },
    };
  }

  /** input_vectors and vector_mask: the given vectors at their positions, token embeddings elsewhere. */
  private vectorFeeds(
    vectors: NonNullable<PrefillRequest['vectors']>,
    rows: PrefillRequest['rows'],
    sequence: number,
  ): Record<string, OrtTensor> {
    const hidden = this.config.hidden;
    const batch = rows.length;
    const values = new Float32Array(batch * sequence * hidden);
    const mask = new Uint8Array(batch * sequence);
    for (const { row, at, vector } of vectors) {
      if (row < 0 || row >= batch || at < 0 || at >= (rows[row]?.length ?? 0))
        throw new SiftError('E_BAD_ARGUMENT', `vector position ${at} is outside row ${row}`);
      if (vector.length !== hidden)
        throw new SiftError(
          'E_BAD_ARGUMENT',
          `a vector of ${vector.length} values for hidden size ${hidden}`,
        );
      values.set(vector, (row * sequence + at) * hidden);
      mask[row * sequence + at] = 1;
    }
    return {
      input_vectors: tensor('float32', values, [batch, sequence, hidden]),
      vector_mask: tensor('bool', mask, [batch, sequence, 1]),
    };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
