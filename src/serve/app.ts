// The HTTP face of the service (fastify): routes, validation from the schemas, the error table,
// admission control, per-request deadlines and cancellation, metrics, the OpenAPI document and the page.

import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { SiftError } from '../errors.js';
import { SIFT_VERSION } from '../util/index.js';
import type { ServeConfig } from './config.js';
import type { DepthController } from './depth-controller.js';
import { readEvaluations } from './evaluation.js';
import { ConcurrencyGate } from './gate.js';
import { errorBody, statusOf, toSiftError, wantsRetryAfter } from './http-errors.js';
import type { ServeMetrics } from './metrics.js';
import type { PageAssets } from './page.js';
import type { RankerReadiness } from './ranker-readiness.js';
import { jsonBodyCheck, keyCheck, RouteMethods } from './request-checks.js';
import {
  DocumentParams,
  DocumentsBody,
  ErrorReply,
  EvaluationReply,
  HealthReply,
  InfoReply,
  LiveReply,
  RankBody,
  RankReply,
  SearchBody,
  SearchReply,
  WriteReply,
} from './schemas.js';
import type { RequestLimits, SearchService } from './search-service.js';

export interface AppContext {
  config: ServeConfig;
  service: SearchService;
  metrics: ServeMetrics;
  page: PageAssets;
  /** Folder of evaluation reports shown by the page. */
  evaluationDir: string;
  /** Which rankers can score now; resolves "default" and refuses unknown (404) or loading (503) ones. */
  readiness: RankerReadiness;
  /** The canonical id "default" names (undefined when the ranker module has none). */
  defaultRanker: string | undefined;
  depthController: DepthController;
  /** The key write routes require (SIFT_API_KEY); undefined refuses every write. */
  apiKey: string | undefined;
}

export interface ServeApp {
  app: FastifyInstance;
  /** Refuse new work from now on (503 with Retry-After); in-flight requests still finish. */
  drain(): void;
}

export async function createApp(context: AppContext): Promise<ServeApp> {
  const { config, service, metrics } = context;
  const app = Fastify({
    bodyLimit: config.bodyLimit,
    logger: false,
    // Our own hook answers during shutdown, with Retry-After and the JSON error body.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false },
    },
  });
  let draining = false;
  const routeMethods = new RouteMethods();
  routeMethods.attach(app);
  // Two admission gates: ranking work (reranked searches, /v1/rank) cannot take the slots of plain
  // searches, which take milliseconds, and so cannot starve them.
  const admission = new ConcurrencyGate({
    name: 'admission',
    limit: config.maxInFlight,
    maxWaiting: config.maxWaiting,
    refusal: 'E_TOO_MANY_REQUESTS',
  });
  const rankAdmission = new ConcurrencyGate({
    name: 'rank admission',
    limit: Math.min(config.maxInFlight, config.maxRankInFlight),
    maxWaiting: config.maxWaiting,
    refusal: 'E_TOO_MANY_REQUESTS',
  });
  metrics.queueDepth.track({ queue: 'admission' }, () => admission.waiting);
  metrics.queueDepth.track({ queue: 'rank-admission' }, () => rankAdmission.waiting);
  metrics.index.track({ fact: 'documents' }, () => service.engine.info.documents);
  metrics.index.track({ fact: 'generation' }, () => service.engine.info.generation);
  metrics.index.track({ fact: 'requests_in_flight' }, () => admission.active + rankAdmission.active);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'sift',
        version: SIFT_VERSION,
        description:
          'Semantic search over one index: BM25, dense (exact kNN) and hybrid retrieval, optional reranking, incremental writes.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'the key in SIFT_API_KEY' },
        },
      },
    },
  });

  app.addHook('onRequest', async (request, reply) => {
    (request as TimedRequest).startedAt = performance.now();
    if (draining) {
      reply.header('connection', 'close');
      throw new SiftError('E_SHUTTING_DOWN', 'the service is shutting down');
    }
    // Under overload, refuse before the body is even parsed: a refusal must cost far less than the work
    // it avoids, or answering 429s starves the requests that were admitted.
    const route = request.routeOptions.url ?? '';
    const saturated =
      route === '/v1/rank'
        ? rankAdmission.saturated
        : route === '/v1/search' && admission.saturated && rankAdmission.saturated;
    if (saturated) {
      throw new SiftError(
        'E_TOO_MANY_REQUESTS',
        `${config.maxInFlight} requests in progress and ${config.maxWaiting} waiting`,
      );
    }
  });
  // While draining, every answer closes its connection, so that keep-alive sockets do not hold the
  // shutdown open until their idle timeout.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (draining) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    const startedAt = (request as TimedRequest).startedAt;
    if (startedAt !== undefined)
      metrics.requestSeconds.observe({ route }, (performance.now() - startedAt) / 1000);
  });
  app.setErrorHandler(async (error, _request, reply) => {
    const sift = toSiftError(error);
    const status = statusOf(sift.code);
    if (wantsRetryAfter(status)) {
      const { retryAfterSeconds } = sift.context;
      reply.header(
        'retry-after',
        String(typeof retryAfterSeconds === 'number' ? retryAfterSeconds : config.retryAfterSeconds),
      );
      metrics.rejected.inc({ code: sift.code });
    }
    if (status >= 500 && sift.code === 'E_INTERNAL')
      console.error(`sift serve: ${error instanceof Error ? error.stack : sift.message}`);
    return reply.status(status).send(errorBody(sift));
  });
  app.setNotFoundHandler(async (request, reply) => {
    const allowed = routeMethods.allowed(request.url);
    if (allowed.length > 0) {
      const error = new SiftError(
        'E_METHOD_NOT_ALLOWED',
        `${request.method} is not allowed on ${request.url.split('?')[0]} (allowed: ${allowed.join(', ')})`,
      );
      return reply.status(statusOf(error.code)).header('allow', allowed.join(', ')).send(errorBody(error));
    }
    return reply
      .status(404)
      .send(errorBody(new SiftError('E_NOT_FOUND', `no route ${request.method} ${request.url}`)));
  });

  /** The request's limits: a signal aborted when the client disconnects or the deadline passes. */
  function requestLimits(request: FastifyRequest, reply: FastifyReply): RequestLimits {
    const startedAt =
      Date.now() - (performance.now() - ((request as TimedRequest).startedAt ?? performance.now()));
    const controller = new AbortController();
    const timer = setTimeout(() => {
      metrics.cancelled.inc({ reason: 'timeout' });
      controller.abort(new SiftError('E_TIMEOUT', `no answer within ${config.requestTimeoutMs} ms`));
    }, config.requestTimeoutMs);
    reply.raw.once('close', () => {
      clearTimeout(timer);
      // 'close' before the response finished: the client went away mid-request.
      if (!reply.raw.writableFinished && !controller.signal.aborted) {
        metrics.cancelled.inc({ reason: 'client' });
        controller.abort(new SiftError('E_CANCELLED', 'the client disconnected'));
      }
    });
    return { signal: controller.signal, deadline: startedAt + config.requestTimeoutMs, startedAt };
  }

  /** Holds an admission slot for the work; the time spent waiting for it is reported as "queue". */
  async function admitted<T extends { timings: Record<string, number> }>(
    gate: ConcurrencyGate,
    signal: AbortSignal,
    work: () => Promise<T>,
    /** Most ms to wait for a slot (a reranked search's budget); past it, 429. */
    maxWaitMs?: number,
  ): Promise<T> {
    const waitStarted = performance.now();
    const release = await gate.acquire(maxWaitMs === undefined ? signal : boundedWait(signal, maxWaitMs));
    const queueMs = performance.now() - waitStarted;
    try {
      const result = await work();
      return { ...result, timings: { queue: queueMs, ...result.timings } };
    } finally {
      release();
    }
  }

  function checkIndex(name: string | undefined): void {
    if (name !== undefined && name !== service.engine.info.name) {
      throw new SiftError(
        'E_INDEX_NOT_FOUND',
        `no index "${name}" here (this service serves "${service.engine.info.name}")`,
        {
          field: 'index',
        },
      );
    }
  }

  // The key is checked in onRequest, before the body is read: a write without it is 401 whatever its body.
  const requireKey = keyCheck(context.apiKey);

  const errors = {
    400: ErrorReply,
    404: ErrorReply,
    413: ErrorReply,
    415: ErrorReply,
    429: ErrorReply,
    503: ErrorReply,
  };

  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(context.page.html),
  );
  app.get('/app.js', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(context.page.script),
  );
  app.get('/style.css', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(context.page.style),
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get(
    '/livez',
    { schema: { summary: 'alive (answers while starting, too)', response: { 200: LiveReply } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/healthz',
    {
      schema: {
        summary: 'ready to serve: 200 once the configured rankers are built, 503 with Retry-After before',
        response: { 200: HealthReply, 503: ErrorReply },
      },
    },
    async () => {
      if (!context.readiness.allReady) {
        const waiting = context.readiness
          .list()
          .filter((r) => r.state === 'loading' || r.state === 'failed')
          .map((r) => `${r.id} ${r.state}${r.seconds !== undefined ? ` (${r.seconds} s)` : ''}`);
        throw new SiftError('E_RANKER_NOT_READY', `not ready: ranker ${waiting.join(', ')}`, {
          retryAfterSeconds: 5,
        });
      }
      const { info } = service.engine;
      return {
        status: 'ok',
        index: info.name,
        documents: info.documents,
        generation: info.generation,
        modes: info.modes,
      };
    },
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics (text format 0.0.4)' } },
    async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render()),
  );

  app.get(
    '/v1/info',
    {
      schema: {
        summary: 'the served index: modes, rankers, filterable fields',
        response: { 200: InfoReply },
      },
    },
    async () => {
      const info = await service.engine.refreshInfo();
      const rankerStatus = context.readiness.list();
      return {
        index: info.name,
        documents: info.documents,
        generation: info.generation,
        modes: info.modes,
        embedder: service.embedder ?? null,
        rankers: rankerStatus.map((r) => r.id),
        defaultRanker: context.defaultRanker ?? null,
        rankerStatus,
        rerank: {
          budgetMs: config.rerankBudgetMs,
          depthFloor: config.rerankDepthFloor,
          depthCeiling: config.rerankDepth,
          depth: context.depthController.depth(config.rerankBudgetMs, 1),
        },
        facets: info.facets,
        fields: info.fields,
      };
    },
  );

  app.get(
    '/v1/evaluation',
    {
      schema: { summary: 'the latest evaluation reports for this index', response: { 200: EvaluationReply } },
    },
    async () => ({
      reports: await readEvaluations(context.evaluationDir),
    }),
  );

  app.post<{ Body: SearchBody }>(
    '/v1/search',
    {
      onRequest: jsonBodyCheck,
      schema: { summary: 'search the index', body: SearchBody, response: { 200: SearchReply, ...errors } },
    },
    async (request, reply) => {
      // Everything that can be refused from the request alone is, before any queue: 404, 400, 503 not ready.
      checkIndex(request.body.index);
      service.validateSearch(request.body);
      const body = request.body.rerank
        ? { ...request.body, rerank: context.readiness.require(request.body.rerank) }
        : request.body;
      const limits = requestLimits(request, reply);
      if (!body.rerank) return admitted(admission, limits.signal, () => service.search(body, limits));
      // A reranked search waits for a ranking slot at most as long as its budget lasts.
      const budgetMs = body.rerankBudgetMs ?? config.rerankBudgetMs;
      const left = limits.startedAt + budgetMs - Date.now();
      return admitted(rankAdmission, limits.signal, () => service.search(body, limits), Math.max(0, left));
    },
  );

  app.post<{ Body: RankBody }>(
    '/v1/rank',
    {
      onRequest: jsonBodyCheck,
      schema: {
        summary: 'score query–document pairs with a named ranker',
        body: RankBody,
        response: { 200: RankReply, ...errors },
      },
    },
    async (request, reply) => {
      const ranker = context.readiness.require(request.body.ranker ?? 'default');
      const limits = requestLimits(request, reply);
      return admitted(rankAdmission, limits.signal, () => service.rank({ ...request.body, ranker }, limits));
    },
  );

  app.post<{ Body: DocumentsBody }>(
    '/v1/documents',
    {
      onRequest: [requireKey, jsonBodyCheck],
      schema: {
        summary: 'add or replace documents; answered once committed to disk',
        security: [{ apiKey: [] }],
        body: DocumentsBody,
        response: { 200: WriteReply, 401: ErrorReply, ...errors },
      },
    },
    async (request) => {
      checkIndex(request.body.index);
      return service.upsert(request.body);
    },
  );

  app.delete<{ Params: DocumentParams }>(
    '/v1/documents/:id',
    {
      onRequest: requireKey,
      schema: {
        summary: 'delete a document; answered once committed to disk',
        security: [{ apiKey: [] }],
        params: DocumentParams,
        response: { 200: WriteReply, 401: ErrorReply, ...errors },
      },
    },
    async (request) => service.delete(request.params.id),
  );

  return {
    app,
    drain: () => {
      draining = true;
    },
  };
}

/**
 * A signal that aborts with the request's, or with E_TOO_MANY_REQUESTS after `ms`: a wait for a ranking
 * slot that would outlast the request's budget is refused instead.
 */
function boundedWait(signal: AbortSignal, ms: number): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new SiftError(
          'E_TOO_MANY_REQUESTS',
          `every ranking slot stayed busy for this search's whole ${Math.round(ms)} ms budget`,
          { queue: 'rank admission' },
        ),
      ),
    ms,
  );
  const onAbort = () => {
    clearTimeout(timer);
    controller.abort(signal.reason);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  controller.signal.addEventListener('abort', () => signal.removeEventListener('abort', onAbort), {
    once: true,
  });
  return controller.signal;
}

interface TimedRequest extends FastifyRequest {
  startedAt?: number;
}
