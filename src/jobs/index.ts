// Distributed jobs on BullMQ over Redis, run by any number of `sift worker` processes: labelling chunks
// produced from a label store (committed into the store one chunk per transaction), embedding chunks
// produced from an index (written as chunk files that the producer appends to the index), and
// teacher-scoring chunks of candidate lists (written as result files that the producer reads back).

export {
  chunkFile,
  EMBED_CHUNK_NAME,
  EMBED_CHUNK_VERSION,
  EMBED_QUEUE,
  type EmbedChunk,
  embedChunkId,
  parseEmbedChunk,
} from './embed-chunk.js';
export { type EmbedChunkResult, type EmbedWorkerOptions, startEmbedWorker } from './embed-worker.js';
export {
  DEFAULT_CHUNK_DOCS,
  embedOnQueue,
  type QueuedEmbedOptions,
  type QueuedEmbedOutcome,
} from './enqueue-embed.js';
export {
  DEFAULT_CHUNK_PAIRS,
  type EnqueuedJudgeJob,
  type EnqueueJudgeOptions,
  enqueueJudgeJob,
} from './enqueue-judge.js';
export {
  DEFAULT_CHUNK_LISTS,
  type QueuedScoreOptions,
  type QueuedScoreOutcome,
  scoreListsOnQueue,
} from './enqueue-score.js';
export {
  type ChunkJudge,
  JUDGE_CHUNK_NAME,
  JUDGE_CHUNK_VERSION,
  JUDGE_QUEUE,
  type JudgeChunk,
  judgeChunkId,
  parseJudgeChunk,
} from './judge-chunk.js';
export { type ChunkRunnerOptions, JudgeChunkRunner } from './judge-chunk-runner.js';
export { type WatchedJudgeJob, type WatchJudgeJobOptions, watchJudgeJob } from './judge-progress.js';
export {
  type ChunkResult,
  type JudgeWorkerOptions,
  type RunningJudgeWorker,
  startJudgeWorker,
} from './judge-worker.js';
export {
  checkQueueReachable,
  DEFAULT_QUEUE_PREFIX,
  type QueueConnection,
  type QueueTarget,
  queueTarget,
} from './queue-connection.js';
export { type QueueWorkerOptions, type RunningQueueWorker, startQueueWorker } from './queue-worker.js';
export {
  parseScoreChunk,
  SCORE_CHUNK_NAME,
  SCORE_CHUNK_VERSION,
  SCORE_QUEUE,
  type ScoreChunk,
  type ScoreList,
  scoreChunkFile,
  scoreChunkId,
} from './score-chunk.js';
export { type ScoreChunkResult, type ScoreWorkerOptions, startScoreWorker } from './score-worker.js';
