// The training engine's public face: BERT-family models and Llama/Qwen2 yes/no decoders with forward and
// backward passes in TypeScript (matrix products on OpenBLAS), losses, AdamW, schedules and clipping.

export { AdamW, type AdamWOptions } from './adamw.js';
export { type EncodedPair, epochBatches, tokenBatch } from './batches.js';
export { type BeirExampleOptions, beirExamples, corpusTexts, highestGrade } from './beir-examples.js';
export { BertLayer } from './bert-layer.js';
export { BertEncoder, type CrossEncoderHead, CrossEncoderModel, type ModelOptions } from './bert-model.js';
export {
  BiEncoderModel,
  type BiEncoderTrainOptions,
  SENTENCE_TRANSFORMERS_FILES,
  trainBiEncoder,
} from './bi-encoder-trainer.js';
export { latestCheckpoint, type TrainerState, writeModelFolder } from './checkpoint.js';
export { clipGradNorm } from './clip.js';
export {
  type CrossEncoderTrainOptions,
  type PointwiseLoss,
  type TrainLoss,
  type TrainResult,
  trainCrossEncoder,
} from './cross-encoder-trainer.js';
export {
  type DecoderBatch,
  YesNoDecoder,
} from './decoder-model.js';
export { type DecoderTrainOptions, trainDecoderRanker } from './decoder-trainer.js';
export { type DevSplit, devSplit } from './dev-split.js';
export {
  type DistilOnListsOptions,
  type DistilOnListsResult,
  distilOnLists,
  type TeacherListScorer,
  type TeacherRef,
} from './distil-lists.js';
export {
  type EmbeddingTokenList,
  type EmbeddingTokenTrainOptions,
  type EmbeddingTokenTrainResult,
  trainItemAdapter,
} from './embedding-token-trainer.js';
export type { TokenBatch } from './embeddings.js';
export { readTrainingJsonl, type TrainingExample } from './examples.js';
export { gemm, gemmBackend } from './gemm.js';
export { ClassifierHead, MeanPooling, type PairHead, SIMILARITY_SCALE, SimilarityHead } from './heads.js';
export { ItemAdapter } from './item-adapter.js';
export { LayerNorm } from './layer-norm.js';
export { Linear } from './linear.js';
export {
  bceWithLogits,
  type CandidateGroup,
  klDivergence,
  type LossResult,
  listwiseSoftmaxCe,
  marginMse,
  multipleNegativesRanking,
  multiTeacherKl,
} from './losses.js';
export {
  type PairModelKit,
  type PairScorer,
  type PairTrainOptions,
  trainPairScorer,
} from './pair-trainer.js';
export { Parameter } from './parameter.js';
export {
  type BiEncoderPreset,
  type CommittedLabelSet,
  type CrossEncoderPreset,
  committedLabelSets,
  type DecoderRankerPreset,
  labelSetsDir,
  MIN_JUDGE_KAPPA,
  preset,
  presetNames,
  type TrainingPreset,
  type TrainTarget,
} from './presets.js';
export { type Decay, learningRate, type ScheduleOptions } from './schedule.js';
export { type TrainPresetOptions, type TrainPresetResult, trainPreset } from './train-preset.js';
export {
  STUDENT_PRESET,
  type TrainStudentOptions,
  type TrainStudentResult,
  trainStudent,
} from './train-student.js';
