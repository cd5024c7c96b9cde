// The seam to native code, its one public face: ONNX (the graph writer and ONNX Runtime sessions, and the
// exact-kNN graphs), llama.cpp, and sift's own kNN and BLAS addons.
export { type KnnChunkTop, KnnRows, knnGraph, OrtKnnScan } from './knn-graphs.js';
export { LlamaScorer, type TokenDistribution } from './llama.js';
export { loadNativeBlas, nativeBlasStatus } from './native-blas.js';
export {
  loadNativeEncoder,
  type NativeClassifierHead,
  type NativeEncoder,
  type NativeEncoderLayer,
  type NativeEncoderSpec,
  type NativeEncoderStatus,
  nativeEncoderByDefault,
  nativeEncoderStatus,
  nativeEncoderSummary,
} from './native-encoder.js';
export {
  KNN_VARIANTS,
  type KnnVariant,
  loadNativeKnn,
  type NativeKnn,
  type NativeKnnStatus,
  type NativeScanResult,
  nativeKnnStatus,
  nativeKnnSummary,
} from './native-knn.js';
export { attr, GraphBuilder } from './onnx/graph-builder.js';
export { openCachedGraph } from './onnx/graph-cache.js';
export {
  createSession,
  type OrtFeeds,
  type OrtTensor,
  type Session,
  type SessionOptions,
  tensor,
} from './ort.js';
