// POST /v1/search: a search, reranked or not, admitted through the gate its kind of work uses.

import { ERROR_REPLIES, type RouteContext } from '../app-context.js';
import { jsonBodyCheck } from '../request-checks.js';
import { admitted } from '../request-limits.js';
import { SearchBody, SearchReply } from '../schemas.js';

export function registerSearchRoutes(context: RouteContext): void {
  const { app, config, service, readiness, admission, rankAdmission } = context;
  app.post<{ Body: SearchBody }>(
    '/v1/search',
    {
      onRequest: jsonBodyCheck,
      schema: {
        summary: 'search the index',
        body: SearchBody,
        response: { 200: SearchReply, ...ERROR_REPLIES },
      },
    },
    async (request, reply) => {
      // Everything that can be refused from the request alone is, before any queue: 404, 400, 503 not ready.
      context.checkIndex(request.body.index);
      service.validateSearch(request.body);
      const body = request.body.rerank
        ? { ...request.body, rerank: readiness.require(request.body.rerank) }
        : request.body;
      const limits = context.requestLimits(request, reply);
      if (!body.rerank) return admitted(admission, limits.signal, () => service.search(body, limits));
      // A reranked search waits for a ranking slot only while it could still answer within its budget.
      const budgetMs = body.rerankBudgetMs ?? config.rerankBudgetMs;
      const wait = service.rankAdmissionWaitMs(limits.startedAt, budgetMs);
      reply.raw.once('finish', () => service.rerankAnswered(limits));
      return admitted(rankAdmission, limits.signal, () => service.search(body, limits), Math.max(0, wait));
    },
  );
}
