// The service's settings: one table of options, each read from a flag, the environment or a config file,
// in that order of precedence, over a documented default.
//
// The config file is JSON with the option names as keys (`{"port": 8080, "maxBatch": 16}`); it is the
// file named by --config or SIFT_SERVE_CONFIG, else $SIFT_HOME/serve.json when present. The API key is
// read from SIFT_API_KEY only, so that it never sits in a file the service reads.

import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { SiftError } from '../errors.js';
import { BACKENDS, type Backend, parseBackend } from '../search/index.js';
import { siftPaths } from '../util/index.js';

export interface ServeConfig {
  /** Interface to listen on. Default 127.0.0.1 (loopback only). */
  host: string;
  /** TCP port; 0 picks a free one. Default 8080. */
  port: number;
  /** Index folder or name under $SIFT_HOME/indexes; unset serves the synthetic job corpus. */
  index: string | undefined;
  /** Postings in the synthetic job corpus served when no index is given. Default 5,000. */
  demoDocs: number;
  /**
   * Serving the job corpus without its trained reranker, train it in the background from the committed job
   * labels and make it the default ranker when done (demo-reranker.ts): 'all' (the preset's whole run),
   * a number of optimizer steps (a quick, weaker model), or 'off'. Default 'all'.
   */
  demoTrain: 'all' | 'off' | number;
  /** Query embedder for dense and hybrid modes ("none" serves bm25 only). Default all-minilm-l6-v2. */
  embedder: string;
  /**
   * Where retrieval runs: 'local' (the engine thread's own index) or 'weaviate' (the cluster at `url`
   * holds the documents and vectors; imported at start, what it lacks only). Default local.
   */
  backend: Backend;
  /** Weaviate REST URL, for --backend weaviate. */
  url: string | undefined;
  /**
   * Ranker worker threads, each with its own ONNX sessions. Default 1 (2-core machines). Query and
   * document embeddings have a worker of their own, so reranking never holds up a dense search.
   */
  workers: number;
  /** Rankers pulled and built at start, before /healthz reports ready ("none" for none). Default "default". */
  rankers: string[];
  /** Threads per model session inside a worker. Default: every core. */
  modelThreads: number;
  /** Threads for the exact-kNN scan in the engine thread. Default 1. */
  knnThreads: number;
  /**
   * Most concurrent dense searches the engine scans together in one pass over the vectors (cross-request
   * batching), and so how many searches are sent to the engine at once. 1 turns batching off. Default 32.
   */
  knnBatch: number;
  /** Most texts (embedder) or candidates (ranker) in one model call. Default 32. */
  maxBatch: number;
  /** How long a batch may wait to fill before it runs, in ms. Default 2. */
  maxWaitMs: number;
  /** Most items waiting in one model batcher or the engine queue; past it, 503. Default 1,024. */
  maxQueue: number;
  /** Search and rank requests processed at once. Default 64. */
  maxInFlight: number;
  /** Requests waiting for a processing slot; past it, 429. Default 256. */
  maxWaiting: number;
  /**
   * Reranked searches and rank calls processed at once (at most maxInFlight). A reranked search that
   * waits for a slot longer than its budget is refused (429). Default 4.
   */
  maxRankInFlight: number;
  /** Deadline of a search or rank request, in ms; past it, 503. Default 10,000. */
  requestTimeoutMs: number;
  /** Largest request body in bytes; past it, 413. Default 1 MiB. */
  bodyLimit: number;
  /**
   * Most first-stage candidates a reranker sees (the adaptive depth's ceiling, and the depth before any
   * measurement); a request's rerankDepth lowers it. Default 100 (as `sift eval --rerank`).
   */
  rerankDepth: number;
  /** Least depth the adaptive controller asks for (the budget may still stop it sooner). Default 5. */
  rerankDepthFloor: number;
  /**
   * Latency budget of a reranked search, ms from its arrival: the ranker scores the best-first prefix of
   * the candidates that fits. Default 1,500.
   */
  rerankBudgetMs: number;
  /**
   * Rankers read each document's extractive summary of this token budget (`sift compress summaries`)
   * instead of its full text; a document without an up-to-date summary is read in full. 0 (default): off.
   */
  rerankSummaries: number;
  /** A ranker scores in chunks of about this many ms, checking for cancellation between them. Default 200. */
  rankChunkMs: number;
  /**
   * The ranker workers' scheduling priority (nice, 0–19; their model threads inherit it). Plain searches
   * are latency-sensitive and reranking takes what is left, as LinkedIn defers traffic that is not
   * (../shared/SYSTEM.md §6): at 19, a reranking flood barely slows a plain search, and an idle machine
   * still gives the ranker every core. 0 shares the cores evenly. Default 19.
   */
  rankNice: number;
  /** Entries in each cache (query embeddings, ranker scores); 0 disables them. Default 50,000. */
  cacheEntries: number;
  /** Module whose `openRanker(id)` opens rankers in the workers. Default sift's own rank stage. */
  rankerModule: string | undefined;
  /** Seconds a client is asked to wait in Retry-After when the service sheds load. Default 1. */
  retryAfterSeconds: number;
}

type Parser = (raw: unknown, where: string) => unknown;

interface OptionSpec {
  flag: string;
  env: string;
  help: string;
  parse: Parser;
  default: () => unknown;
}

const text: Parser = (raw, where) => {
  if (typeof raw === 'string' && raw.length > 0) return raw;
  throw badValue(where, raw, 'a non-empty string');
};

/** A comma-separated list (or a JSON array in the config file); "none" or "" is the empty list. */
const idList: Parser = (raw, where) => {
  const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : undefined;
  if (!items?.every((item) => typeof item === 'string')) {
    throw badValue(where, raw, 'a comma-separated list of ids');
  }
  const ids = (items as string[]).map((item) => item.trim()).filter((item) => item !== '');
  return ids.length === 1 && ids[0] === 'none' ? [] : ids;
};

const integer =
  (min: number): Parser =>
  (raw, where) => {
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof n === 'number' && Number.isInteger(n) && n >= min) return n;
    throw badValue(where, raw, `an integer ≥ ${min}`);
  };

const number =
  (min: number): Parser =>
  (raw, where) => {
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof n === 'number' && Number.isFinite(n) && n >= min) return n;
    throw badValue(where, raw, `a number ≥ ${min}`);
  };

function badValue(where: string, raw: unknown, expected: string): SiftError {
  return new SiftError('E_BAD_ARGUMENT', `${where}: expected ${expected}, got ${JSON.stringify(raw)}`, {
    field: where,
  });
}

export const SERVE_OPTIONS: Record<keyof ServeConfig, OptionSpec> = {
  host: {
    flag: '--host <host>',
    env: 'SIFT_SERVE_HOST',
    help: 'interface to listen on',
    parse: text,
    default: () => '127.0.0.1',
  },
  port: {
    flag: '--port <n>',
    env: 'SIFT_SERVE_PORT',
    help: 'port (0 = any free port)',
    parse: integer(0),
    default: () => 8080,
  },
  index: {
    flag: '--index <dir>',
    env: 'SIFT_SERVE_INDEX',
    help: 'index folder or name (default: the synthetic job corpus)',
    parse: text,
    default: () => undefined,
  },
  demoDocs: {
    flag: '--demo-docs <n>',
    env: 'SIFT_SERVE_DEMO_DOCS',
    help: 'postings in the synthetic job corpus',
    parse: integer(1),
    default: () => 5000,
  },
  demoTrain: {
    flag: '--demo-train <all|off|steps>',
    env: 'SIFT_SERVE_DEMO_TRAIN',
    help: "the job corpus's reranker, trained in the background on first start: the whole run, off, or at most this many steps",
    parse: (raw, where) => {
      if (raw === 'all' || raw === 'off') return raw;
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof n === 'number' && Number.isInteger(n) && n >= 1) return n;
      throw badValue(where, raw, '"all", "off" or a number of optimizer steps ≥ 1');
    },
    default: () => 'all',
  },
  embedder: {
    flag: '--embedder <id>',
    env: 'SIFT_SERVE_EMBEDDER',
    help: 'query embedder for dense/hybrid, or "none"',
    parse: text,
    default: () => 'all-minilm-l6-v2',
  },
  backend: {
    flag: '--backend <name>',
    env: 'SIFT_SERVE_BACKEND',
    help: `where retrieval runs: ${BACKENDS.join(' or ')}`,
    parse: (raw, where) => {
      if (typeof raw !== 'string') throw badValue(where, raw, BACKENDS.join(' or '));
      return parseBackend(raw);
    },
    default: () => 'local',
  },
  url: {
    flag: '--url <url>',
    env: 'SIFT_SERVE_WEAVIATE_URL',
    help: 'Weaviate REST URL (with --backend weaviate)',
    parse: text,
    default: () => undefined,
  },
  workers: {
    flag: '--workers <n>',
    env: 'SIFT_SERVE_WORKERS',
    help: 'ranker worker threads',
    parse: integer(1),
    default: () => 1,
  },
  rankers: {
    flag: '--rankers <ids>',
    env: 'SIFT_SERVE_RANKERS',
    help: 'rankers built at start, comma-separated, or "none"',
    parse: idList,
    default: () => ['default'],
  },
  modelThreads: {
    flag: '--model-threads <n>',
    env: 'SIFT_SERVE_MODEL_THREADS',
    help: 'threads per model session',
    parse: integer(1),
    default: () => availableParallelism(),
  },
  knnThreads: {
    flag: '--knn-threads <n>',
    env: 'SIFT_SERVE_KNN_THREADS',
    help: 'threads for the exact-kNN scan',
    parse: integer(1),
    default: () => 1,
  },
  knnBatch: {
    flag: '--knn-batch <n>',
    env: 'SIFT_SERVE_KNN_BATCH',
    help: 'most dense searches scanned together (1 = no cross-request batching)',
    parse: integer(1),
    default: () => 32,
  },
  maxBatch: {
    flag: '--max-batch <n>',
    env: 'SIFT_SERVE_MAX_BATCH',
    help: 'most texts or candidates per model call',
    parse: integer(1),
    default: () => 32,
  },
  maxWaitMs: {
    flag: '--max-wait-ms <ms>',
    env: 'SIFT_SERVE_MAX_WAIT_MS',
    help: 'how long a batch waits to fill',
    parse: number(0),
    default: () => 2,
  },
  maxQueue: {
    flag: '--max-queue <n>',
    env: 'SIFT_SERVE_MAX_QUEUE',
    help: 'most items queued per stage (then 503)',
    parse: integer(1),
    default: () => 1024,
  },
  maxInFlight: {
    flag: '--max-in-flight <n>',
    env: 'SIFT_SERVE_MAX_IN_FLIGHT',
    help: 'requests processed at once',
    parse: integer(1),
    default: () => 64,
  },
  maxRankInFlight: {
    flag: '--max-rank-in-flight <n>',
    env: 'SIFT_SERVE_MAX_RANK_IN_FLIGHT',
    help: 'reranked searches and rank calls processed at once',
    parse: integer(1),
    default: () => 4,
  },
  maxWaiting: {
    flag: '--max-waiting <n>',
    env: 'SIFT_SERVE_MAX_WAITING',
    help: 'requests waiting for a slot (then 429)',
    parse: integer(0),
    default: () => 256,
  },
  requestTimeoutMs: {
    flag: '--request-timeout-ms <ms>',
    env: 'SIFT_SERVE_REQUEST_TIMEOUT_MS',
    help: 'deadline per request (then 503)',
    parse: integer(1),
    default: () => 10_000,
  },
  bodyLimit: {
    flag: '--body-limit <bytes>',
    env: 'SIFT_SERVE_BODY_LIMIT',
    help: 'largest request body (then 413)',
    parse: integer(1),
    default: () => 1 << 20,
  },
  rerankDepth: {
    flag: '--rerank-depth <n>',
    env: 'SIFT_SERVE_RERANK_DEPTH',
    help: 'most candidates a reranker sees (adaptive depth ceiling)',
    parse: integer(1),
    default: () => 100,
  },
  rerankDepthFloor: {
    flag: '--rerank-depth-floor <n>',
    env: 'SIFT_SERVE_RERANK_DEPTH_FLOOR',
    help: 'least depth the adaptive controller asks for',
    parse: integer(1),
    default: () => 5,
  },
  rerankBudgetMs: {
    flag: '--rerank-budget-ms <ms>',
    env: 'SIFT_SERVE_RERANK_BUDGET_MS',
    help: 'latency budget of a reranked search',
    parse: integer(1),
    default: () => 1500,
  },
  rerankSummaries: {
    flag: '--rerank-summaries <budget>',
    env: 'SIFT_SERVE_RERANK_SUMMARIES',
    help: 'rankers read the extractive summaries of this token budget (sift compress summaries); 0 = full text',
    parse: integer(0),
    default: () => 0,
  },
  rankChunkMs: {
    flag: '--rank-chunk-ms <ms>',
    env: 'SIFT_SERVE_RANK_CHUNK_MS',
    help: 'ranker scoring chunk length (cancellation points)',
    parse: integer(1),
    default: () => 200,
  },
  rankNice: {
    flag: '--rank-nice <n>',
    env: 'SIFT_SERVE_RANK_NICE',
    help: "ranker workers' scheduling priority, 0 (even) to 19 (only what plain searches leave)",
    parse: (raw, where) => {
      const n = integer(0)(raw, where) as number;
      if (n > 19) throw badValue(where, raw, 'an integer from 0 to 19');
      return n;
    },
    default: () => 19,
  },
  cacheEntries: {
    flag: '--cache-entries <n>',
    env: 'SIFT_SERVE_CACHE_ENTRIES',
    help: 'entries per cache (0 = off)',
    parse: integer(0),
    default: () => 50_000,
  },
  rankerModule: {
    flag: '--ranker-module <path>',
    env: 'SIFT_SERVE_RANKER_MODULE',
    help: 'module exporting openRanker(id) (default: sift rankers)',
    parse: text,
    default: () => undefined,
  },
  retryAfterSeconds: {
    flag: '--retry-after-seconds <s>',
    env: 'SIFT_SERVE_RETRY_AFTER',
    help: 'Retry-After seconds when shedding load',
    parse: integer(1),
    default: () => 1,
  },
};

export interface ConfigSources {
  /** Values from command-line flags (commander's option object; unknown keys are ignored). */
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Explicit config file; otherwise SIFT_SERVE_CONFIG, else $SIFT_HOME/serve.json if it exists. */
  configFile?: string;
}

/** Resolves every option: flag, then environment, then config file, then default. */
export async function resolveServeConfig(sources: ConfigSources = {}): Promise<ServeConfig> {
  const env = sources.env ?? process.env;
  const flags = sources.flags ?? {};
  const file = await readConfigFile(sources.configFile ?? env.SIFT_SERVE_CONFIG, env);
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SERVE_OPTIONS)) {
    const flagName = `--${spec.flag.split(' ')[0]!.slice(2)}`;
    if (flags[key] !== undefined) config[key] = spec.parse(flags[key], flagName);
    else if (env[spec.env] !== undefined && env[spec.env] !== '')
      config[key] = spec.parse(env[spec.env], spec.env);
    else if (file.values[key] !== undefined)
      config[key] = spec.parse(file.values[key], `${file.path}: ${key}`);
    else config[key] = spec.default();
  }
  return config as unknown as ServeConfig;
}

async function readConfigFile(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<{ path: string; values: Record<string, unknown> }> {
  const path = explicit ?? join(siftPaths(env).home, 'serve.json');
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (error) {
    // Only a file the user named must exist; the default location is optional.
    if (explicit === undefined) return { path, values: {} };
    throw new SiftError('E_FILE_NOT_FOUND', 'config file not found', { file: path }, { cause: error });
  }
  let values: unknown;
  try {
    values = JSON.parse(raw);
  } catch (error) {
    throw new SiftError('E_CONFIG_FILE', `config file is not valid JSON: ${(error as Error).message}`, {
      file: path,
    });
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new SiftError('E_CONFIG_FILE', 'config file must hold a JSON object', { file: path });
  }
  const unknown = Object.keys(values).filter((key) => !(key in SERVE_OPTIONS));
  if (unknown.length > 0) {
    throw new SiftError(
      'E_CONFIG_FILE',
      `config file has unknown option(s) ${unknown.join(', ')} (known: ${Object.keys(SERVE_OPTIONS).join(', ')})`,
      { file: path },
    );
  }
  return { path, values: values as Record<string, unknown> };
}
