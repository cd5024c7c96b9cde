// Liveness (/livez, from the start), readiness (/healthz, once the configured rankers are built) and the
// Prometheus metrics.

import { SiftError } from '../../errors.js';
import type { RouteContext } from '../app-context.js';
import { ErrorReply, HealthReply, LiveReply } from '../schemas.js';

export function registerHealthRoutes({ app, readiness, service, metrics }: RouteContext): void {
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
      if (!readiness.allReady) {
        const waiting = readiness
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
}
