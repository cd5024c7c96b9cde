// Models: the one public face of src/models (registry, pulling, tokenizers, embedders).

export {
  type DecoderDtype,
  type DecoderModel,
  type KvCache,
  loadDecoder,
  type PrefillRequest,
  type PrefillResult,
} from './decoder/decoder-model.js';
export { type Embedder, type EmbedderDtype, type EmbedderOptions, loadEmbedder } from './embedder.js';
export { modelDir, verifyModelDir } from './model-files.js';
export { type OpenDecoderOptions, openDecoder } from './open-decoder.js';
export { type OpenEmbedderOptions, openEmbedder, parseEmbedderRef } from './open-embedder.js';
export { ensureModel, pullModel } from './pull.js';
export { DEFAULT_EMBEDDER, type EmbedderSpec, type ModelSpec, modelIds, modelSpec } from './registry.js';
export { loadTokenizer } from './tokenizer.js';
export {
  checkTrainedModelId,
  installedTrainedIds,
  installedTrainedModel,
  installTrainedModel,
  listTrainedModels,
  MODEL_CARD,
  readTrainedModel,
  TRAINABLE_MODELS,
  type TrainedModelCard,
  trainedModelDir,
} from './trained.js';
export type { Encoder, TextRole } from './types.js';
