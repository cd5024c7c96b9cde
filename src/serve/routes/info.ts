// What is served (/v1/info: modes, rankers and their state, rerank depth, filterable fields, the kNN
// kernel variant) and the latest evaluation reports (/v1/evaluation).

import { nativeKnnStatus } from '../../runtime/index.js';
import type { RouteContext } from '../app-context.js';
import { readEvaluations } from '../evaluation.js';
import { EvaluationReply, InfoReply } from '../schemas.js';

export function registerInfoRoutes(context: RouteContext): void {
  const { app, config, service } = context;
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
        defaultRanker: context.defaultRanker() ?? null,
        demoReranker: context.demoReranker?.() ?? null,
        rankerStatus,
        rerank: {
          budgetMs: config.rerankBudgetMs,
          depthFloor: config.rerankDepthFloor,
          depthCeiling: config.rerankDepth,
          depth: context.depthController.depth(config.rerankBudgetMs, 1),
          ...rankPriority(service.rankPriority),
        },
        facets: info.facets,
        fields: info.fields,
        backend: info.backend,
        knn: { ...knnInfo(), batch: config.knnBatch },
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
}

function rankPriority(priority: { nice: number; reason?: string } | undefined): {
  nice?: number;
  niceReason?: string;
} {
  if (!priority) return {};
  return { nice: priority.nice, ...(priority.reason === undefined ? {} : { niceReason: priority.reason }) };
}

/** The kNN kernel as this process loaded it; the engine worker loads the same addon under the same env. */
function knnInfo(): { variant: string | null; supported: string[]; reason?: string } {
  const status = nativeKnnStatus();
  return {
    variant: status.variant ?? null,
    supported: [...(status.supported ?? [])],
    ...(status.reason === undefined ? {} : { reason: status.reason }),
  };
}
