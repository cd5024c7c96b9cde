// The one catalogue of error codes sift can raise, and the error class that carries them.
//
// Callers (the CLI, the HTTP service, tests) branch on `code`, never on message text.
// The message names where the problem is: `corpus.jsonl:212: field "text" missing [E_BAD_JSONL]`.

export const errorCatalogue = {
  E_FILE_NOT_FOUND: 'a file or folder that was asked for does not exist',
  E_BAD_JSONL: 'a JSON Lines file has a line that is not a valid record',
  E_BAD_CSV: 'a CSV file has a row that is not a valid record',
  E_BAD_TSV: 'a qrels or run file has a malformed line',
  E_DUPLICATE_ID: 'two records share one id',
  E_BAD_ARGUMENT: 'an option or argument has an invalid value',
  E_BAD_URL: 'a URL option (a judge, queue or backend address) is not a URL, or not of a scheme it takes',
  E_PATH_KIND: 'a path names a folder where a file is needed, or a file where a folder is',
  E_CONFIG_FILE: 'a config file is not valid JSON, not a JSON object, or names options that do not exist',
  E_BAD_FILTER: 'a metadata filter is malformed',
  E_FILTER_FIELD_UNKNOWN: 'a metadata filter names a field that no document in the index has',
  E_INDEX_NOT_FOUND: 'no index exists at the given location',
  E_INDEX_VERSION: 'an index file was written by an incompatible format version',
  E_INDEX_CORRUPT: 'an index file is truncated or fails its checksum',
  E_UNKNOWN_DOC: 'a document id is not in the index',
  E_IO: 'reading or writing a file failed',
  E_MODEL_UNKNOWN: 'no model with this id is known to sift',
  E_MODEL_KIND:
    'a model id names another kind of model than the option needs (an embedder as a ranker, a ranker as an embedder)',
  E_MODEL_VARIANT: "a model reference asks for a variant or width the model does not have (':int8', '@256')",
  E_MODEL_MISSING: 'a model is not in SIFT_HOME and cannot be fetched here',
  E_MODEL_FILE: 'a model folder lacks a file it needs',
  E_MODEL_HASH: "a model file's sha256 does not match the pinned value",
  E_MODEL_LOAD: 'a model file cannot be loaded (corrupt or unsupported)',
  E_MODEL_CONFIG: "a model's config.json is missing a field or describes an unsupported architecture",
  E_PULL_FAILED: 'downloading a model package failed',
  E_DISK_SPACE: 'the disk has too little free space for a download to finish',
  E_VECTOR_DIMENSION: 'a vector has the wrong dimension for its store or model',
  E_NATIVE_UNAVAILABLE:
    "sift's native kernel was asked for but was not built here (no C++ compiler at install)",
  E_RANKER_UNKNOWN: 'no ranker with this id is known to sift',
  E_MODEL_NOT_TRAINED: 'the model is one sift trains itself, and it has not been trained here yet',
  E_RANKER_NOT_READY:
    'a ranker is known but its model is still being pulled or built; retry after the given delay',
  E_PROMPT_TEMPLATE: 'a prompt template lacks a slot it needs or has an unknown one',
  E_RANKER_LABEL: "a ranker's answer label is not exactly one token of the model's vocabulary",
  E_RANKER_VECTORS:
    'an embedding-token ranker needs the stored vectors of its embedder, and the index or a candidate has none',
  E_POLICY_INVALID: 'a grading policy file is malformed or incomplete',
  E_JUDGE_HTTP: 'a chat-completions endpoint refused the request or kept failing after retries',
  E_JUDGE_TIMEOUT: 'a judge did not answer within its timeout, after retries',
  E_CONTEXT_OVERFLOW: "a prompt does not fit the model's context window",
  E_CALIBRATION: 'a judge calibration cannot be fitted or read (too few graded pairs, a malformed file)',
  E_JUDGE_OUTPUT: 'a judge kept answering with no valid grade (unparseable or out of range)',
  E_STORE: 'a label store cannot be opened, is of an unknown version, or lacks what was asked for',
  E_BAD_REQUEST: 'an HTTP request is malformed (bad JSON) or violates its route schema',
  E_UNAUTHORIZED: 'a write request lacks the API key set in SIFT_API_KEY',
  E_NOT_FOUND: 'no HTTP route or resource at this path',
  E_METHOD_NOT_ALLOWED: 'an HTTP route exists at this path but not for this method',
  E_UNSUPPORTED_MEDIA_TYPE: 'an HTTP request body is not sent as application/json',
  E_PAYLOAD_TOO_LARGE: "an HTTP request body is over the service's size limit",
  E_TOO_MANY_REQUESTS: "the service's admission queue is full; retry after the given delay",
  E_OVERLOADED: 'a serving stage (model batcher, engine) is at capacity; retry after the given delay',
  E_TIMEOUT: 'a request did not finish within its deadline',
  E_CANCELLED: 'the client went away before its request finished',
  E_SHUTTING_DOWN: 'the service is shutting down and takes no new requests',
  E_LISTEN: 'the service cannot listen on its host and port (in use, or not allowed)',
  E_MODE_UNAVAILABLE: 'a retrieval mode needs a model this service was started without',
  E_LABEL_IMPORT:
    'an exported label file cannot be imported: a line lacks a field, or names another policy or judge',
  E_TRAIN_DATA: 'a training label file is empty, or a line of it lacks a field training needs',
  E_TRAIN_DIVERGED:
    'training stopped because the loss became NaN or infinite; the last good checkpoint is kept',
  E_PRUNE:
    'a model cannot be pruned as asked: a sparsity outside (0, 1), no calibration data, or a Hessian that stays singular',
  E_FLYWHEEL:
    'sift flywheel cannot go on: its work folder holds another corpus, policy or judge, its state is unreadable, or a step left nothing to learn from',
  E_CHECKPOINT: 'a training checkpoint is incomplete, unreadable, or belongs to a different training run',
  E_BACKEND_UNREACHABLE: 'a remote retrieval backend (Weaviate) cannot be reached at the given URL',
  E_BACKEND_SCHEMA:
    "a remote backend's collection does not fit what sift would store (another model's dimension, layout or corpus)",
  E_BACKEND_REQUEST: 'a remote retrieval backend refused or failed a request (import, search, schema)',
  E_QUEUE_UNREACHABLE: 'the job queue (Redis) cannot be reached at the given URL',
  E_BAD_JOB:
    "a queued job's data is malformed: a field is missing or of the wrong type, or its kind is unknown",
  E_JOB_FAILED: 'a queued job has chunks that the queue gave up on (each with its reason)',
  E_INTERNAL: 'an unexpected internal failure (a bug, or a worker thread that died)',
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

/** Where in the input the problem is; every field is optional but `file` and `line` are used when known. */
export interface ErrorContext {
  file?: string;
  line?: number;
  field?: string;
  [key: string]: unknown;
}

export class SiftError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, detail: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(formatMessage(code, detail, context), options);
    this.name = 'SiftError';
    this.code = code;
    this.context = context;
  }
}

function formatMessage(code: ErrorCode, detail: string, context: ErrorContext): string {
  let where = '';
  if (context.file !== undefined) {
    where = context.line !== undefined ? `${context.file}:${context.line}: ` : `${context.file}: `;
  }
  return `${where}${detail} [${code}]`;
}

export function isSiftError(error: unknown, code?: ErrorCode): error is SiftError {
  return error instanceof SiftError && (code === undefined || error.code === code);
}
