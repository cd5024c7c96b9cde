// One JSON schema per route (TypeBox): fastify validates requests against it, TypeScript derives the
// handler types from it (`Static`), and the OpenAPI document at /openapi.json is generated from it.

import { type Static, Type } from 'typebox';
import { RETRIEVAL_MODES } from '../search/index.js';
import { DEMO_RERANKER_STATES } from './demo-reranker.js';

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

export const FilterCondition = Type.Union(
  [
    Scalar,
    Type.Object(
      {
        eq: Type.Optional(Scalar),
        in: Type.Optional(Type.Array(Scalar, { minItems: 1 })),
        gt: Type.Optional(Type.Number()),
        gte: Type.Optional(Type.Number()),
        lt: Type.Optional(Type.Number()),
        lte: Type.Optional(Type.Number()),
      },
      { additionalProperties: false, minProperties: 1 },
    ),
  ],
  {
    description:
      'a value (equality; "contains" on list fields) or operators {eq, in, gt, gte, lt, lte}; strings compare case-insensitively',
  },
);

const IndexName = Type.String({
  minLength: 1,
  description: "the served index's name; optional, 404 when it names another index",
});

export const SearchBody = Type.Object(
  {
    query: Type.String({ minLength: 1, maxLength: 2000 }),
    k: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'results to return' }),
    ),
    mode: Type.Optional(Type.Enum([...RETRIEVAL_MODES], { default: 'bm25' })),
    rerank: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'ranker id ("default" = the one sift recommends)',
      }),
    ),
    rerankDepth: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        description:
          'most first-stage candidates the ranker scores; the service may score fewer to meet the budget',
      }),
    ),
    rerankBudgetMs: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 60_000,
        description: "latency budget for the reranked search, ms (default: the service's)",
      }),
    ),
    filters: Type.Optional(
      Type.Record(Type.String(), FilterCondition, { description: 'field → condition, all must hold' }),
    ),
    index: Type.Optional(IndexName),
  },
  { additionalProperties: false },
);
export type SearchBody = Static<typeof SearchBody>;

const Timings = Type.Record(Type.String(), Type.Number(), {
  description: 'milliseconds per stage (queue, embed, retrieve, rerank, total)',
});

export const SearchResult = Type.Object({
  id: Type.String(),
  score: Type.Number({ description: "the last stage's score, by which results are ordered" }),
  title: Type.String(),
  snippet: Type.String({ description: 'the passage of the text that best matches the query' }),
  highlights: Type.Array(Type.Array(Type.Integer(), { minItems: 2, maxItems: 2 }), {
    description: '[start, end) character ranges of matching words in the snippet',
  }),
  stages: Type.Record(Type.String(), Type.Number(), {
    description: 'score at each stage: bm25, dense, hybrid (fused), rerank',
  }),
  metadata: Type.Record(Type.String(), Type.Unknown()),
});

export const RerankReport = Type.Object(
  {
    ranker: Type.String(),
    depth: Type.Integer({ description: 'candidates the ranker scored, best first from the first stage' }),
    requested: Type.Integer({
      description: 'candidates it was asked for (the adaptive depth, capped by rerankDepth)',
    }),
    budgetMs: Type.Integer(),
  },
  { description: 'how deep reranking went (only on reranked searches)' },
);

export const SearchReply = Type.Object({
  results: Type.Array(SearchResult),
  timings: Timings,
  rerank: Type.Optional(RerankReport),
});
export type SearchReply = Static<typeof SearchReply>;

export const RankBody = Type.Object(
  {
    ranker: Type.Optional(Type.String({ minLength: 1, maxLength: 200, default: 'default' })),
    query: Type.String({ minLength: 1, maxLength: 2000 }),
    documents: Type.Array(
      Type.Object(
        {
          id: Type.Optional(Type.String()),
          title: Type.Optional(Type.String()),
          text: Type.String(),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 1000 },
    ),
  },
  { additionalProperties: false },
);
export type RankBody = Static<typeof RankBody>;

export const RankReply = Type.Object({
  ranker: Type.String(),
  scores: Type.Array(Type.Number(), { description: "one score per document, in the request's order" }),
  timings: Timings,
});

const MetadataValue = Type.Union([
  Type.String(),
  Type.Number(),
  Type.Boolean(),
  Type.Array(Type.String()),
  Type.Array(Type.Number()),
]);

export const DocumentsBody = Type.Object(
  {
    documents: Type.Array(
      Type.Object(
        {
          id: Type.String({ minLength: 1, maxLength: 512 }),
          title: Type.Optional(Type.String()),
          text: Type.String(),
          metadata: Type.Optional(Type.Record(Type.String(), MetadataValue)),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 1000 },
    ),
    index: Type.Optional(IndexName),
  },
  { additionalProperties: false },
);
export type DocumentsBody = Static<typeof DocumentsBody>;

export const WriteReply = Type.Object({
  upserted: Type.Optional(Type.Integer()),
  deleted: Type.Optional(Type.String()),
  generation: Type.Integer({ description: 'the committed index generation that holds the change' }),
  documents: Type.Integer({ description: 'live documents after the change' }),
});

export const DocumentParams = Type.Object({ id: Type.String({ minLength: 1 }) });
export type DocumentParams = Static<typeof DocumentParams>;

export const ErrorReply = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

export const LiveReply = Type.Object({ status: Type.String() });

export const HealthReply = Type.Object({
  status: Type.String(),
  index: Type.String(),
  documents: Type.Integer(),
  generation: Type.Integer(),
  modes: Type.Array(Type.String()),
});

export const InfoReply = Type.Object({
  index: Type.String(),
  documents: Type.Integer(),
  generation: Type.Integer(),
  modes: Type.Array(Type.String()),
  embedder: Type.Union([Type.String(), Type.Null()]),
  rankers: Type.Array(Type.String(), {
    description: 'ranker ids, each once ("default" names defaultRanker)',
  }),
  defaultRanker: Type.Union([Type.String(), Type.Null()], { description: 'the ranker "default" names' }),
  demoReranker: Type.Union(
    [
      Type.Object({
        id: Type.String(),
        state: Type.Union(DEMO_RERANKER_STATES.map((state) => Type.Literal(state))),
        step: Type.Optional(Type.Integer()),
        steps: Type.Optional(Type.Integer()),
        loss: Type.Optional(Type.Number()),
        seconds: Type.Number(),
        evaluation: Type.Optional(
          Type.Object(
            {
              queries: Type.Integer(),
              depth: Type.Integer(),
              firstStage: Type.Object({ run: Type.String(), ndcg10: Type.Number() }),
              reranked: Type.Object({ run: Type.String(), ndcg10: Type.Number() }),
            },
            {
              description:
                'NDCG@10 on the judged test queries (no label set holds them): the first stage alone, and reranked by the model',
            },
          ),
        ),
        error: Type.Optional(Type.String()),
      }),
      Type.Null(),
    ],
    {
      description:
        'serving the job corpus: its reranker, trained in the background on first start, measured on the test queries, and "default" once ready where it beats the first stage alone',
    },
  ),
  rankerStatus: Type.Array(
    Type.Object({
      id: Type.String(),
      state: Type.Union([
        Type.Literal('not loaded'),
        Type.Literal('loading'),
        Type.Literal('ready'),
        Type.Literal('failed'),
      ]),
      seconds: Type.Optional(Type.Number()),
      error: Type.Optional(Type.String()),
    }),
    { description: 'whether each ranker can score now; one not ready is refused with 503 and Retry-After' },
  ),
  rerank: Type.Object({
    budgetMs: Type.Integer(),
    depthFloor: Type.Integer(),
    depthCeiling: Type.Integer(),
    depth: Type.Integer({ description: 'the depth the adaptive controller would ask for now' }),
    nice: Type.Optional(
      Type.Integer({
        description:
          "the ranker workers' scheduling priority (0 = even with plain searches, 19 = only what they leave)",
      }),
    ),
    niceReason: Type.Optional(
      Type.String({ description: 'why the workers could not take the priority asked for' }),
    ),
  }),
  fields: Type.Array(Type.String(), { description: 'metadata fields a filter may name' }),
  backend: Type.Object(
    {
      kind: Type.Union([Type.Literal('local'), Type.Literal('weaviate')]),
      url: Type.Optional(Type.String({ description: 'the Weaviate node the service reached' })),
      collection: Type.Optional(Type.String({ description: 'the Weaviate collection searched' })),
    },
    { description: 'where retrieval runs (--backend)' },
  ),
  knn: Type.Object(
    {
      variant: Type.Union([Type.String(), Type.Null()], {
        description:
          'the native kernel variant picked at load: avx512-vnni, avx512f, avx2-fma or scalar; null when the addon is unavailable',
      }),
      supported: Type.Array(Type.String(), { description: 'every variant this CPU runs, best first' }),
      reason: Type.Optional(Type.String({ description: 'why the native kernel is unavailable' })),
      batch: Type.Integer({
        description: 'most concurrent dense searches scanned together (--knn-batch; 1 = each alone)',
      }),
    },
    { description: 'the exact-kNN scan kernel of dense search (SIFT_KNN_ISA caps the variant)' },
  ),
  facets: Type.Array(
    Type.Object({
      field: Type.String(),
      values: Type.Optional(Type.Array(Type.String())),
      min: Type.Optional(Type.Number()),
      max: Type.Optional(Type.Number()),
    }),
  ),
});

export const EvaluationReply = Type.Object({
  reports: Type.Array(
    Type.Object({
      name: Type.String(),
      metrics: Type.Record(Type.String(), Type.Number()),
      queries: Type.Integer(),
      updatedAt: Type.String(),
    }),
  ),
});
