// What the HTTP app is built from (AppContext), and what each route module is handed (RouteContext).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServeConfig } from './config.js';
import type { DemoRerankerStatus } from './demo-reranker.js';
import type { DepthController } from './depth-controller.js';
import type { ConcurrencyGate, RequestLimits } from './gate.js';
import type { ServeMetrics } from './metrics.js';
import type { PageAssets } from './page.js';
import type { RankerReadiness } from './ranker-readiness.js';
import { ErrorReply } from './schemas.js';
import type { SearchService } from './search-service.js';

export interface AppContext {
  config: ServeConfig;
  service: SearchService;
  metrics: ServeMetrics;
  page: PageAssets;
  /** Folder of evaluation reports shown by the page. */
  evaluationDir: string;
  /** Which rankers can score now; resolves "default" and refuses unknown (404) or loading (503) ones. */
  readiness: RankerReadiness;
  /** The canonical id "default" names now (undefined when the ranker module has none). */
  defaultRanker: () => string | undefined;
  /** The demo reranker's training and loading, while serving the job corpus with it (demo-reranker.ts). */
  demoReranker: (() => DemoRerankerStatus) | undefined;
  depthController: DepthController;
  /** The key write routes require (SIFT_API_KEY); undefined refuses every write. */
  apiKey: string | undefined;
}

/** What a route module registers its routes with. */
export interface RouteContext extends AppContext {
  app: FastifyInstance;
  /** Plain searches. */
  admission: ConcurrencyGate;
  /** Ranking work (reranked searches, /v1/rank), which cannot take plain searches' slots. */
  rankAdmission: ConcurrencyGate;
  /** The request's limits: a signal aborted when the client disconnects or the deadline passes. */
  requestLimits(request: FastifyRequest, reply: FastifyReply): RequestLimits;
  /** 404 unless `name` is undefined or the served index's name. */
  checkIndex(name: string | undefined): void;
  /** Write routes' onRequest hook: 401 without the key, before the body is read. */
  requireKey: (request: FastifyRequest) => Promise<void>;
}

/** A route module: registers its routes on `context.app`. */
export type RegisterRoutes = (context: RouteContext) => void;

/** The error replies every API route documents. */
export const ERROR_REPLIES = {
  400: ErrorReply,
  404: ErrorReply,
  413: ErrorReply,
  415: ErrorReply,
  429: ErrorReply,
  503: ErrorReply,
};

/** A request stamped with its arrival time (performance.now()) by the app's onRequest hook. */
export interface TimedRequest extends FastifyRequest {
  startedAt?: number;
}
