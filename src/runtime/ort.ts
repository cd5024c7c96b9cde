// The one file that touches onnxruntime-node: sessions, tensors and thread settings.
//
// Every stage that runs a graph (embedders, rankers, the exact-kNN kernels) goes through here, so the
// runtime can be swapped or configured in one place. Sessions run on the CPU execution provider.

import * as ort from 'onnxruntime-node';
import { SiftError } from '../errors.js';

export type OrtTensor = ort.Tensor;
export type OrtFeeds = Record<string, ort.Tensor>;

export interface SessionOptions {
  /** Threads for one operator (matrix products). Default: every core this process may use. */
  intraOpThreads?: number;
  /** Graph optimisation level; 'all' fuses attention, layer norm and GELU where ORT can. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Human-readable name for error messages (a model id or file). */
  name?: string;
}

export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: OrtFeeds, outputs?: readonly string[]): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

/** Opens a session from a model file path or from the bytes of a serialised ModelProto. */
export async function createSession(
  model: string | Uint8Array,
  options: SessionOptions = {},
): Promise<Session> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: options.optimization ?? 'all',
    intraOpNumThreads: options.intraOpThreads ?? 0,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
  let session: ort.InferenceSession;
  try {
    session =
      typeof model === 'string'
        ? await ort.InferenceSession.create(model, sessionOptions)
        : await ort.InferenceSession.create(model, sessionOptions);
  } catch (error) {
    const file = typeof model === 'string' ? model : (options.name ?? '<in-memory graph>');
    throw new SiftError(
      'E_MODEL_LOAD',
      `ONNX Runtime cannot load the model: ${(error as Error).message}`,
      { file },
      { cause: error },
    );
  }
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, outputs) {
      return outputs ? session.run(feeds, outputs as string[]) : session.run(feeds);
    },
    release: () => session.release(),
  };
}

export function tensor(type: 'float32', data: Float32Array, dims: readonly number[]): ort.Tensor;
export function tensor(type: 'int64', data: BigInt64Array, dims: readonly number[]): ort.Tensor;
export function tensor(type: 'int32', data: Int32Array, dims: readonly number[]): ort.Tensor;
export function tensor(type: 'int8', data: Int8Array, dims: readonly number[]): ort.Tensor;
export function tensor(type: 'uint8', data: Uint8Array, dims: readonly number[]): ort.Tensor;
export function tensor(type: 'float16', data: Uint16Array, dims: readonly number[]): ort.Tensor;
/** A boolean tensor: one byte per element, 0 or 1. */
export function tensor(type: 'bool', data: Uint8Array, dims: readonly number[]): ort.Tensor;
export function tensor(
  type: 'float32' | 'int64' | 'int32' | 'int8' | 'uint8' | 'float16' | 'bool',
  data: Float32Array | BigInt64Array | Int32Array | Int8Array | Uint8Array | Uint16Array,
  dims: readonly number[],
): ort.Tensor {
  return new ort.Tensor(type, data, dims as number[]);
}
