// Compression's public face: OSSCAR structured pruning (and the magnitude baseline) of sift's models:
// the one-layer solver, block-by-block pruning of BERT encoders, pruning a cross-encoder folder, and the
// recovery fine-tune that distils the unpruned model back into the pruned one.

export type { PruneSpec } from './consumer-fit.js';
export {
  DEFAULT_EMBED_TOKEN_CANDIDATES,
  type EmbedTokensOptions,
  type EmbedTokensResult,
  trainEmbeddingTokens,
} from './embed-tokens.js';
export {
  cutToTokens,
  type ExtractiveOptions,
  type ExtractiveSummary,
  extractiveSummary,
  leadSummary,
  splitSentences,
} from './extractive.js';
export { type Gemm64, gemm64, linalgBackend } from './linalg.js';
export {
  LLM_SUMMARY_MAX_DOC_CHARS,
  type LlmSummaryOptions,
  llmSummary,
  llmSummaryPromptHash,
} from './llm-summary.js';
export {
  magnitudePrune,
  type OsscarOptions,
  type OsscarProblem,
  osscarPrune,
  type PruneSolution,
  reconstructionError,
} from './osscar.js';
export {
  type BertPruneResult,
  type BertPruneSpec,
  type LayerPruneReport,
  type PruneMethod,
  pruneBertEncoder,
} from './prune-bert.js';
export { type DecoderPruneResult, pruneDecoder } from './prune-decoder.js';
export { type PruneDecoderFolderOptions, pruneDecoderFolder } from './prune-decoder-folder.js';
export {
  type CalibrationPair,
  type ParameterCounts,
  type PruneFolderOptions,
  type PruneFolderResult,
  parameterCounts,
  pruneCrossEncoderFolder,
} from './prune-model.js';
export {
  calibrationPairs,
  DEFAULT_CALIBRATION_PAIRS,
  type PruneTrainedOptions,
  type PruneTrainedResult,
  pruneTrainedModel,
} from './prune-trained.js';
export {
  DEFAULT_RECOVERY_CANDIDATES,
  type RecoverOptions,
  type RecoverResult,
  recoverPrunedModel,
} from './recover.js';
export { type SummariseOptions, type SummariseResult, summariseIndex, tokenCounter } from './summarise.js';
