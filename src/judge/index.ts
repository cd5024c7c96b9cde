// The judge stage's public face: policies, judges (HTTP and local), the chat server, pair sampling,
// the label store and jobs, audit and export.

export {
  type ConfusionMatrix,
  cohensKappa,
  confusionMatrix,
  type KappaWeights,
  kendallTauB,
  pearson,
  spearman,
} from './agreement.js';
export {
  type AuditOptions,
  type AuditReport,
  auditAgreement,
  compareSystemOrdering,
  type JudgeLabel,
  parseGradeMap,
  type SystemOrdering,
  type SystemScore,
} from './audit.js';
export {
  applyCalibration,
  CALIBRATION_FEATURES,
  type Calibration,
  type CalibrationFeature,
  type CalibrationMap,
  calibrationFeatures,
  fitIsotonic,
  fitLogistic,
  gradeOnScale,
  parseCalibration,
} from './calibration.js';
export {
  calibratedRelevance,
  resolveCalibration,
  saveCalibration,
  shippedCalibrationPath,
} from './calibration-store.js';
export { type ChatJudgeOptions, createChatJudge, type TokenPrices } from './chat-judge.js';
export { type ChatServer, type ChatServerOptions, startChatServer } from './chat-server.js';
export { type ExportFormat, exportLabels } from './export.js';
export {
  auc,
  type FormAgreement,
  type FormName,
  formAgreement,
  type GradedLabel,
  gradedPairs,
  type Unjudged,
} from './form-agreement.js';
export {
  chooseGoldenExamples,
  type GoldenExampleOptions,
  type GoldenPair,
  policyGradeOf,
  withGoldenExamples,
} from './golden-examples.js';
export { apiBase, type HttpBackendOptions, openHttpChatBackend } from './http-backend.js';
export { type ParsedAnswer, parseJudgeAnswer, softLabelFromLogprobs } from './judge-output.js';
export {
  type ChunkSummary,
  type LabelChunkOptions,
  labelChunk,
} from './label-chunk.js';
export {
  type ExportedLabel,
  type ImportSummary,
  importLabels,
  readExportedLabels,
} from './label-import.js';
export { type LabelJobOptions, type LabelJobSummary, runLabelJob } from './label-job.js';
export {
  type LabelSet,
  LabelStore,
  type PairToJudge,
  STORE_SCHEMA_VERSION,
  type StoredLabel,
} from './label-store.js';
export { DEFAULT_LLAMA_JUDGE_MODEL, type OpenLlamaJudgeOptions, openLlamaJudge } from './llama-judge.js';
export { LocalChatBackend, type LocalChatBackendOptions } from './local-chat-backend.js';
export { DEFAULT_LOCAL_JUDGE, openLocalJudge } from './local-judge.js';
export {
  DEFAULT_JUDGE,
  isUrlJudge,
  type JudgeIdentity,
  type OpenJudgeOptions,
  openJudge,
  resolveJudgeIdentity,
} from './open-judge.js';
export { judgePair, labelCacheKey, type PairOutcome } from './pair-judgement.js';
export {
  chooseQueries,
  DEFAULT_STRATA,
  type SampledPairs,
  type SampleOptions,
  samplePairs,
} from './pair-sampler.js';
export {
  BUILTIN_POLICIES,
  builtinPolicyPath,
  DEFAULT_POLICY,
  type GradeLevel,
  loadPolicy,
  type Policy,
  parsePolicy,
} from './policy.js';
export {
  buildJudgeMessages,
  gradeSchema,
  PROMPT_TEMPLATE_VERSION,
  type PromptOptions,
  promptHash,
} from './prompt.js';
export {
  queryPart,
  questionLead,
  SCORING_FORMS,
  SCORING_TEMPLATE_VERSION,
  type ScoringForm,
  scoringDocumentPart,
  scoringPromptHash,
  scoringSystemTurn,
} from './scoring-prompts.js';
export {
  readSyntheticQueries,
  SYNTHETIC_QUERY_MAX_DOC_CHARS,
  type SyntheticQuery,
  syntheticQueryId,
  writeSyntheticQueries,
  writeSyntheticQuery,
} from './synthetic-queries.js';
export { AUDIT_SYSTEMS, DEFAULT_AUDIT_SYSTEMS, systemRuns } from './system-runs.js';
export type {
  ChatBackend,
  ChatMessage,
  Completion,
  CompletionOptions,
  Judge,
  JudgeDocument,
  JudgeFailureCode,
  Judgement,
  JudgeRequest,
  JudgeScores,
  TokenLogprob,
  TokenUsage,
} from './types.js';
export { JudgeFailure } from './types.js';
