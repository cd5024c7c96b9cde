// Distributed jobs on BullMQ over Redis: labelling chunks produced from a label store, run by any
// number of `sift worker` processes, committed into the store one chunk per transaction.

export {
  DEFAULT_CHUNK_PAIRS,
  type EnqueuedJudgeJob,
  type EnqueueJudgeOptions,
  enqueueJudgeJob,
} from './enqueue-judge.js';
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
