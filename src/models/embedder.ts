// Sentence embedders: tokenise, batch texts of similar length, run an ONNX session (or, in bfloat16, sift's
// native encoder, which reads the rows unpadded), pool, normalise.
//
// Two kinds of model folder: safetensors + config.json (sift builds the ONNX graph itself, with pooling
// and normalisation inside it, and caches it beside the weights), or a ready ONNX file whose named
// output holds token vectors or pooled vectors (pooled and normalised here in JavaScript).
// Texts are sorted by token count and cut into batches so each batch pads to nearly its own length;
// the output rows are put back in input order.

import { readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { SiftError } from '../errors.js';
import { createSession, type NativeEncoder, type OrtTensor, type Session, tensor } from '../runtime/index.js';
import { positionCapacity, readBertConfig } from './bert/config.js';
import type { BertGraphOptions } from './bert/graph.js';
import { openBertGraph } from './bert/open-graph.js';
import { openNativeBertEncoder } from './bert/open-native.js';
import { openNomicGraph } from './bert/open-nomic-graph.js';
import { normalizeRows, poolTokens } from './onnx/row-pooling.js';
import { preferredWeightType } from './quantize.js';
import { loadTokenizer, type TextTokenizer } from './tokenizer.js';
import type { Encoder, TextRole } from './types.js';

/**
 * How a built graph multiplies: float32, int8 MatMuls (ONNX Runtime), or bfloat16 products on sift's native
 * encoder (AMX or AVX-512 BF16; the float32 graph where the CPU or the model does not allow it, see `kernel`).
 */
export type EmbedderDtype = 'fp32' | 'int8' | 'bf16';

/** A model that is an ONNX file already. */
export interface OnnxModelSource {
  /** The .onnx file, relative to the model folder or absolute. */
  file: string;
  /** The output to read: token vectors [batch, sequence, dim] or sentence vectors [batch, dim]. */
  output: string;
  /** How token vectors are pooled; 'none' when `output` is already one vector per text. */
  pooling: 'mean' | 'cls' | 'none';
}

/** A GGUF encoder (nomic-bert), built by bert/nomic.ts. */
export interface GgufModelSource {
  /** The .gguf file, relative to the model folder or absolute. */
  file: string;
  /** Matryoshka width: keep this many leading dimensions (default all). */
  dimension?: number;
}

export interface EmbedderOptions {
  /** The registry id, reported by the encoder. */
  id: string;
  /**
   * Longest input in tokens, special tokens included; longer texts are truncated. Default: the folder's
   * sentence_bert_config.json max_seq_length, else 256.
   */
  maxLength?: number;
  /** Default: 1_Pooling/config.json of a sentence-transformers folder, else 'mean'. */
  pooling?: 'mean' | 'cls';
  /** L2-normalise outputs. Default: whether modules.json lists a Normalize module, else true. */
  normalize?: boolean;
  /**
   * Weights of a built graph: float32, or int8 MatMuls (see bert/graph.ts). Default 'fp32'. For a ready
   * ONNX file it only labels the encoder (the file decides).
   */
  dtype?: EmbedderDtype;
  /** Threads for one matrix product; default every core. */
  threads?: number;
  /** Texts per session run. Default 32. */
  batchSize?: number;
  /** Load this ONNX file instead of building from model.safetensors. */
  onnx?: OnnxModelSource;
  /** Build from this GGUF file (nomic-bert) instead of model.safetensors; the tokenizer comes from it too. */
  gguf?: GgufModelSource;
  /** Where tokenizer.json is, when not in the model folder (ONNX-only packages). */
  tokenizerDir?: string;
  /** Text put before queries and documents, for asymmetric models (e5: "query: ", "passage: "). */
  prefixes?: Partial<Record<TextRole, string>>;
  /** Write the built graph beside the weights (default true). */
  cacheGraph?: boolean;
  /** Told how many texts each finished batch held (a ProgressBar fits). */
  progress?: { tick(amount: number): void };
}

export interface Embedder extends Encoder {
  readonly maxLength: number;
  readonly dtype: EmbedderDtype;
  /** The cached graph file the session was loaded from or written to, if any. */
  readonly graphPath: string | undefined;
  /**
   * What runs the forward pass: 'onnxruntime', or native/encoder.cc's 'amx-bf16' or 'avx512-bf16'. A bf16
   * embedder that fell back says why: 'onnxruntime (bf16 unavailable: …)'.
   */
  readonly kernel: string;
  /** Token ids per text after truncation, special tokens included (what `encode` feeds the model). */
  tokenize(texts: readonly string[], role?: TextRole): Int32Array[];
}

const DEFAULT_MAX_LENGTH = 256;
const DEFAULT_BATCH_SIZE = 32;

/** Loads an embedder from a model folder (safetensors + config.json, or `options.onnx`). */
export async function loadEmbedder(dir: string, options: EmbedderOptions): Promise<Embedder> {
  const folder = await sentenceTransformersDefaults(dir);
  const maxLength = options.maxLength ?? folder.maxLength ?? DEFAULT_MAX_LENGTH;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(maxLength) || maxLength < 2) {
    throw new SiftError('E_BAD_ARGUMENT', `maxLength must be an integer ≥ 2, not ${maxLength}`, {
      field: 'maxLength',
    });
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new SiftError('E_BAD_ARGUMENT', `batchSize must be a positive integer, not ${batchSize}`, {
      field: 'batchSize',
    });
  }
  const sessionOptions = {
    name: options.id,
    ...(options.threads ? { intraOpThreads: options.threads } : {}),
  };
  const pooling = options.pooling ?? folder.pooling ?? 'mean';
  const normalize = options.normalize ?? folder.normalize ?? true;

  let tokenizer: TextTokenizer;
  let session: Session | undefined;
  let native: NativeEncoder | undefined;
  let kernel = 'onnxruntime';
  let graphPath: string | undefined;
  let readOutput: OutputReader;
  if (options.gguf) {
    if (pooling !== 'mean') {
      throw new SiftError('E_MODEL_CONFIG', 'GGUF encoders are built with mean pooling only', {
        field: 'pooling',
      });
    }
    const built = await openNomicGraph(
      resolve(dir, options.gguf.file),
      {
        maxLength,
        normalize,
        ...(options.gguf.dimension ? { dimension: options.gguf.dimension } : {}),
      },
      { cache: options.cacheGraph ?? true, session: sessionOptions },
    );
    tokenizer = built.tokenizer;
    session = built.session;
    graphPath = built.path;
    readOutput = (outputs) => matrix(outputs, 'sentence_embedding');
  } else if (options.onnx) {
    tokenizer = await loadTokenizer(options.tokenizerDir ?? dir, { maxLength });
    const file = resolve(dir, options.onnx.file);
    await requireFile(file, 'the ONNX model file');
    session = await createSession(file, sessionOptions);
    if (!session.outputNames.includes(options.onnx.output)) {
      throw new SiftError(
        'E_MODEL_CONFIG',
        `the ONNX model has no output "${options.onnx.output}" (it has ${session.outputNames.join(', ')})`,
        { file },
      );
    }
    readOutput = jsPoolingReader(
      options.onnx.output,
      options.onnx.pooling === 'none' ? undefined : options.onnx.pooling,
      normalize,
    );
  } else {
    tokenizer = await loadTokenizer(options.tokenizerDir ?? dir, { maxLength });
    const { config, text } = await readBertConfig(dir);
    const positions = positionCapacity(config);
    if (maxLength > positions) {
      throw new SiftError(
        'E_BAD_ARGUMENT',
        `maxLength ${maxLength} exceeds the model's ${positions} positions`,
        { field: 'maxLength' },
      );
    }
    if (options.dtype === 'bf16') {
      const opened = await openNativeBertEncoder(dir, config, { pooling, normalize, maxLength });
      if ('encoder' in opened) native = opened.encoder;
      else kernel = `onnxruntime (bf16 unavailable: ${opened.reason})`;
    }
    const graphOptions: BertGraphOptions = { pooling, normalize };
    if (options.dtype === 'int8') {
      graphOptions.quantize = 'int8';
      // Resolved here, not inside the builder, so the cache key says which kernels the graph targets.
      graphOptions.weightType = preferredWeightType();
    }
    if (!native) {
      const built = await openBertGraph(dir, { parsed: config, text }, graphOptions, {
        cache: options.cacheGraph ?? true,
        session: sessionOptions,
      });
      session = built.session;
      graphPath = built.path;
    }
    readOutput = (outputs) => matrix(outputs, 'sentence_embedding');
  }

  const runBatch = serialized(
    native
      ? nativeBatches(native, options.threads ?? availableParallelism())
      : sessionBatches(requireSession(session), readOutput),
  );

  const tokenize = (texts: readonly string[], role?: TextRole): Int32Array[] => {
    const prefix = role ? (options.prefixes?.[role] ?? '') : '';
    return tokenizer.encodeBatch(prefix ? texts.map((t) => prefix + t) : texts, { maxLength }).ids;
  };

  // The dimension is whatever the graph writes; one tiny run asks it.
  const probe = await runBatch(tokenize(['']));
  const dimension = probe.dimension;

  return {
    id: options.id,
    dimension,
    normalized: normalize,
    maxLength,
    // A bf16 request that fell back (or that a GGUF or ONNX-file model ignores) runs float32.
    dtype: native ? 'bf16' : options.dtype === 'bf16' ? 'fp32' : (options.dtype ?? 'fp32'),
    graphPath,
    kernel: native ? native.variant : kernel,
    tokenize,
    async encode(texts, role) {
      const rows = tokenize(texts, role);
      const out = new Float32Array(texts.length * dimension);
      // Longest first: the first batch shows the peak memory, and equal lengths share a batch.
      const order = rows.map((_, i) => i).sort((a, b) => (rows[b]?.length ?? 0) - (rows[a]?.length ?? 0));
      for (let start = 0; start < order.length; start += batchSize) {
        const indices = order.slice(start, start + batchSize);
        const result = await runBatch(indices.map((i) => rows[i] ?? new Int32Array(0)));
        indices.forEach((original, k) => {
          out.set(result.data.subarray(k * dimension, (k + 1) * dimension), original * dimension);
        });
        options.progress?.tick(indices.length);
      }
      return out;
    },
    release: async () => {
      await session?.release();
    },
  };
}

/** Every branch above opens a session unless the native encoder runs; this says so to the type checker. */
function requireSession(session: Session | undefined): Session {
  if (!session) throw new SiftError('E_MODEL_LOAD', 'no ONNX Runtime session was opened for this embedder');
  return session;
}

function sessionBatches(session: Session, readOutput: OutputReader) {
  const feedsFor = inputFeeder(session);
  return async (rows: Int32Array[]): Promise<PooledBatch> => {
    const { feeds, mask, sequence } = feedsFor(rows);
    return readOutput(await session.run(feeds), mask, rows.length, sequence);
  };
}

/** The native encoder reads the rows unpadded and pools (and normalises) itself. */
function nativeBatches(encoder: NativeEncoder, threads: number) {
  return async (rows: Int32Array[]): Promise<PooledBatch> => ({
    data: await encoder.encode(rows, threads),
    dimension: encoder.outWidth,
  });
}

interface PooledBatch {
  data: Float32Array;
  dimension: number;
}

type OutputReader = (
  outputs: Record<string, OrtTensor>,
  mask: BigInt64Array,
  batch: number,
  sequence: number,
) => PooledBatch;

/** Pads rows to the batch's longest and returns the feeds the session declares. */
function inputFeeder(session: Session) {
  const wants = new Set(session.inputNames);
  return (rows: Int32Array[]) => {
    const sequence = Math.max(1, ...rows.map((r) => r.length));
    const size = rows.length * sequence;
    const ids = new BigInt64Array(size);
    const mask = new BigInt64Array(size);
    rows.forEach((row, b) => {
      for (let t = 0; t < row.length; t++) {
        ids[b * sequence + t] = BigInt(row[t] ?? 0);
        mask[b * sequence + t] = 1n;
      }
    });
    const dims = [rows.length, sequence];
    const feeds: Record<string, OrtTensor> = {};
    if (wants.has('input_ids')) feeds['input_ids'] = tensor('int64', ids, dims);
    if (wants.has('attention_mask')) feeds['attention_mask'] = tensor('int64', mask, dims);
    if (wants.has('token_type_ids')) feeds['token_type_ids'] = tensor('int64', new BigInt64Array(size), dims);
    return { feeds, mask, sequence };
  };
}

function jsPoolingReader(
  output: string,
  pooling: 'mean' | 'cls' | undefined,
  normalize: boolean,
): OutputReader {
  return (outputs, mask, batch, sequence) => {
    const t = outputs[output];
    if (!t) throw new SiftError('E_MODEL_LOAD', `the session returned no "${output}"`);
    const data = t.data as Float32Array;
    let pooled: PooledBatch;
    if (t.dims.length === 3 && pooling) {
      const dimension = Number(t.dims[2]);
      pooled = { data: poolTokens(data, batch, sequence, dimension, mask, pooling), dimension };
    } else if (t.dims.length === 2) {
      pooled = { data: Float32Array.from(data), dimension: Number(t.dims[1]) };
    } else {
      throw new SiftError(
        'E_MODEL_CONFIG',
        `output "${output}" has shape [${t.dims.join(',')}], not pooled as configured`,
      );
    }
    if (normalize) normalizeRows(pooled.data, pooled.dimension);
    return pooled;
  };
}

function matrix(outputs: Record<string, OrtTensor>, name: string): PooledBatch {
  const t = outputs[name];
  if (t?.dims.length !== 2) throw new SiftError('E_MODEL_LOAD', `the graph returned no ${name} matrix`);
  return { data: t.data as Float32Array, dimension: Number(t.dims[1]) };
}

/** Runs calls one at a time: concurrent encode() calls would only fight over the same cores. */
function serialized<A, R>(fn: (arg: A) => Promise<R>): (arg: A) => Promise<R> {
  let tail: Promise<unknown> = Promise.resolve();
  return (arg) => {
    const result = tail.then(() => fn(arg));
    tail = result.catch(() => undefined);
    return result;
  };
}

async function requireFile(file: string, what: string) {
  try {
    return await stat(file);
  } catch (error) {
    throw new SiftError('E_MODEL_FILE', `${what} does not exist`, { file }, { cause: error });
  }
}

/** Pooling and normalisation as a sentence-transformers folder declares them (1_Pooling, modules.json). */
/** What a sentence-transformers folder says about pooling, normalisation and length, where it says it. */
async function sentenceTransformersDefaults(
  dir: string,
): Promise<{ pooling?: 'mean' | 'cls'; normalize?: boolean; maxLength?: number }> {
  const result: { pooling?: 'mean' | 'cls'; normalize?: boolean; maxLength?: number } = {};
  const settings = await readJson(join(dir, 'sentence_bert_config.json'));
  if (isRecord(settings)) {
    const length = settings['max_seq_length'];
    if (typeof length === 'number' && Number.isInteger(length) && length >= 2) result.maxLength = length;
  }
  const pooling = await readJson(join(dir, '1_Pooling', 'config.json'));
  if (isRecord(pooling)) {
    if (pooling['pooling_mode_cls_token'] === true) result.pooling = 'cls';
    else if (pooling['pooling_mode_mean_tokens'] === true) result.pooling = 'mean';
  }
  const modules = await readJson(join(dir, 'modules.json'));
  if (Array.isArray(modules)) {
    result.normalize = modules.some((m) => isRecord(m) && String(m['type']).endsWith('Normalize'));
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}
