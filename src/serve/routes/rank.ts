// POST /v1/rank: query–document pairs scored by a named ranker, admitted as ranking work.

import { ERROR_REPLIES, type RouteContext } from '../app-context.js';
import { jsonBodyCheck } from '../request-checks.js';
import { admitted } from '../request-limits.js';
import { RankBody, RankReply } from '../schemas.js';

export function registerRankRoutes(context: RouteContext): void {
  const { app, service, readiness, rankAdmission } = context;
  app.post<{ Body: RankBody }>(
    '/v1/rank',
    {
      onRequest: jsonBodyCheck,
      schema: {
        summary: 'score query–document pairs with a named ranker',
        body: RankBody,
        response: { 200: RankReply, ...ERROR_REPLIES },
      },
    },
    async (request, reply) => {
      const ranker = readiness.require(request.body.ranker ?? 'default');
      const limits = context.requestLimits(request, reply);
      return admitted(rankAdmission, limits.signal, () => service.rank({ ...request.body, ranker }, limits));
    },
  );
}
