// Models: the one public face of src/models (registry, pulling, tokenizers, embedders).

export { type BertConfig, parseBertConfig, positionCapacity, readBertConfig } from './bert/config.js';
export { type BertGraphOptions, buildBertEncoderGraph } from './bert/graph.js';
export { openBertGraph } from './bert/open-graph.js';
export { type NativeBertOptions, type NativeOpen, openNativeBertEncoder } from './bert/open-native.js';
export { type BertWeights, bertWeights, type WeightSource } from './bert/weights.js';
export { type DecoderArchitecture, type DecoderConfig, decoderConfigFromGguf } from './decoder/config.js';
export {
  type DecoderDtype,
  type DecoderModel,
  type KvCache,
  loadDecoder,
  loadDecoderFolder,
  type PrefillRequest,
  type PrefillResult,
  truncateCache,
} from './decoder/decoder-model.js';
export {
  decoderConfigJson,
  decoderTokenizerFiles,
  readDecoderFolder,
  readDecoderSource,
} from './decoder/folder.js';
export { decoderWeightsFromHf } from './decoder/hf-weights.js';
export { type DecoderWeights, decoderWeightsFromGguf } from './decoder/weights.js';
export { type Embedder, type EmbedderDtype, type EmbedderOptions, loadEmbedder } from './embedder.js';
export { isModelPresent, modelDir, verifyModelDir } from './model-files.js';
export { type OpenDecoderOptions, openDecoder } from './open-decoder.js';
export { type OpenEmbedderOptions, openEmbedder, parseEmbedderRef } from './open-embedder.js';
export { ensureModel, pullModel } from './pull.js';
export { formatBytes } from './pull-log.js';
export { preferredWeightType } from './quantize.js';
export {
  DEFAULT_EMBEDDER,
  type EmbedderSpec,
  embedderSpec,
  type ModelSpec,
  modelBytes,
  modelIds,
  modelSpec,
  modelSpecs,
} from './registry.js';
export { encodeSafetensors, parseSafetensors, readSafetensors } from './safetensors.js';
export { loadTokenizer, type TextTokenizer, TOKENIZER_FILES } from './tokenizer.js';
export { type TrainableCheckpointOptions, trainableCheckpoint } from './trainable-checkpoint.js';
export {
  checkTrainedModelId,
  installedTrainedIds,
  installedTrainedKind,
  installedTrainedModel,
  installTrainedModel,
  listTrainedModels,
  MODEL_CARD,
  readTrainedModel,
  TRAINABLE_MODELS,
  type TrainedModelCard,
  type TrainedModelKind,
  trainedModelDir,
} from './trained.js';
export type { Encoder, TextRole } from './types.js';
