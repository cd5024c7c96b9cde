// The HTTP face of the service (fastify): the app, its hooks (drain, admission, metrics), the error table
// and the OpenAPI document; the routes are in routes/, one module per group, registered here in order.

import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { SiftError } from '../errors.js';
import { SIFT_VERSION } from '../util/index.js';
import type { AppContext, RegisterRoutes, RouteContext, TimedRequest } from './app-context.js';
import { ConcurrencyGate } from './gate.js';
import { errorBody, statusOf, toSiftError, wantsRetryAfter } from './http-errors.js';
import { keyCheck, RouteMethods } from './request-checks.js';
import { requestLimits } from './request-limits.js';
import { registerDocumentRoutes } from './routes/documents.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerInfoRoutes } from './routes/info.js';
import { registerRankRoutes } from './routes/rank.js';
import { registerSearchRoutes } from './routes/search.js';
import { registerWebRoutes } from './routes/web.js';

/** The route modules, in the order their routes are registered (and listed in the OpenAPI document). */
const ROUTES: readonly RegisterRoutes[] = [
  registerWebRoutes,
  registerHealthRoutes,
  registerInfoRoutes,
  registerSearchRoutes,
  registerRankRoutes,
  registerDocumentRoutes,
];

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

  const routeContext: RouteContext = {
    ...context,
    app,
    admission,
    rankAdmission,
    requestLimits: (request, reply) => requestLimits(request, reply, config, metrics),
    checkIndex(name) {
      if (name !== undefined && name !== service.engine.info.name) {
        throw new SiftError(
          'E_INDEX_NOT_FOUND',
          `no index "${name}" here (this service serves "${service.engine.info.name}")`,
          {
            field: 'index',
          },
        );
      }
    },
    // The key is checked in onRequest, before the body is read: a write without it is 401 whatever its body.
    requireKey: keyCheck(context.apiKey),
  };
  for (const register of ROUTES) register(routeContext);

  return {
    app,
    drain: () => {
      draining = true;
    },
  };
}
