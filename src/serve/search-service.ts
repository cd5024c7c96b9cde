// What each API route does, stage by stage, on the HTTP thread: embed the query (batched across
// requests in the embedding worker), retrieve in the engine thread, rerank (batched, in the ranker
// workers, with a score cache and an adaptive depth under a latency budget), and write documents
// durably. Every stage honours the request's abort signal: work still queued is dropped, work running in
// a ranker worker is told to stop at its next chunk, and a request whose deadline passes is answered at
// once even if a stage is still running.

import { SiftError } from '../errors.js';
import { embeddingText, type SummaryFile } from '../index/index.js';
import type { Doc } from '../ingest/index.js';
import type { TextRole } from '../models/index.js';
import { type RankCandidate, rerankedOrder, ScoreCache, scoreThroughCache } from '../rank/index.js';
import { checkFilterFields } from '../retrieve/index.js';
import type { RetrievalMode } from '../search/index.js';
import { LruCache } from '../util/index.js';
import { DynamicBatcher } from './batcher.js';
import type { ServeConfig } from './config.js';
import type { DepthController } from './depth-controller.js';
import type { EngineClient } from './engine-client.js';
import type { EngineHit } from './engine-protocol.js';
import type { Priority } from './gate.js';
import { type RequestLimits, raceAbort } from './gate.js';
import { LatencyReserve } from './latency-reserve.js';
import type { ServeMetrics } from './metrics.js';
import type { ModelPool } from './model-pool.js';
import { RankJobs } from './rank-jobs.js';
import type { DocumentsBody, RankBody, SearchBody, SearchReply } from './schemas.js';

type Timings = Record<string, number>;

/** How deep reranking went, as the search response reports it. */
export interface RerankReport {
  ranker: string;
  /** Candidates the ranker scored (score-cache hits included). */
  depth: number;
  /** Candidates it was asked to score (the adaptive depth, capped by the request's rerankDepth). */
  requested: number;
  budgetMs: number;
}

export class SearchService {
  private readonly queryEmbeds: DynamicBatcher<string, Float32Array> | undefined;
  private readonly documentEmbeds: DynamicBatcher<string, Float32Array> | undefined;
  private readonly rankJobs: RankJobs;
  private readonly rankPool: ModelPool;
  private readonly queryCache: LruCache<string, Float32Array>;
  /**
   * Ranker scores by (ranker, query, content): an edited document misses, so no stale hits. None when
   * caches are off, so no candidate's text is hashed on the HTTP thread for nothing.
   */
  private readonly scoreCache: ScoreCache | undefined;
  /** Reranked searches between asking for a depth and getting their scores. */
  private rerankInFlight = 0;
  /** A reranked search's first stage (embed + retrieve), which runs before any answer is possible. */
  private readonly firstStageReserve = new LatencyReserve();
  /** From the end of a budget-cut scoring to the answer sent: a late budget timer, snippets, the reply. */
  private readonly tailReserve = new LatencyReserve();
  /** Requests whose scoring the budget cut, and when it had to end (epoch ms), until they are answered. */
  private readonly budgetCut = new WeakMap<RequestLimits, number>();

  constructor(
    readonly engine: EngineClient,
    /** The embedding worker (undefined without an embedder) and the ranker workers: one cannot starve the other. */
    pools: { embed: ModelPool | undefined; rank: ModelPool },
    private readonly metrics: ServeMetrics,
    private readonly config: ServeConfig,
    /** The embedder id, when dense and hybrid are served. */
    readonly embedder: string | undefined,
    private readonly depthController: DepthController,
    /** Summaries the rankers read instead of full text (`--rerank-summaries`), when configured. */
    private readonly summaries?: SummaryFile,
  ) {
    this.rankPool = pools.rank;
    const batcherOptions = (name: string, pool: ModelPool) => ({
      name,
      maxBatch: config.maxBatch,
      maxWaitMs: config.maxWaitMs,
      maxQueue: config.maxQueue,
      concurrency: pool.size,
      onBatch: (size: number) => metrics.batchSize.observe({ batcher: name }, size),
    });
    const embedPool = pools.embed;
    if (embedder && embedPool) {
      const embed = (role: TextRole) => async (texts: string[]) => {
        const vectors = await embedPool.embed(texts, role);
        const d = vectors.length / texts.length;
        return texts.map((_, i) => vectors.subarray(i * d, (i + 1) * d));
      };
      this.queryEmbeds = new DynamicBatcher(batcherOptions('embed-query', embedPool), embed('query'));
      this.documentEmbeds = new DynamicBatcher(
        batcherOptions('embed-document', embedPool),
        embed('document'),
      );
    }
    this.rankJobs = new RankJobs(pools.rank, metrics, config);
    this.queryCache = new LruCache(config.cacheEntries);
    this.scoreCache = config.cacheEntries > 0 ? new ScoreCache(config.cacheEntries) : undefined;
    metrics.queueDepth.track({ queue: 'embed-query' }, () => this.queryEmbeds?.depth ?? 0);
    metrics.queueDepth.track({ queue: 'embed-document' }, () => this.documentEmbeds?.depth ?? 0);
    metrics.queueDepth.track({ queue: 'engine' }, () => engine.queueDepth);
  }

  /**
   * How long a reranked search that arrived at `startedAt` may wait for a ranking slot: what is left of
   * its budget once its first stage and the answer after scoring are provided for (both measured).
   * Past it, an admitted search could only answer after its budget.
   */
  rankAdmissionWaitMs(startedAt: number, budgetMs: number): number {
    return startedAt + budgetMs - Date.now() - this.firstStageReserve.ms - this.tailMs();
  }

  /**
   * What to keep back after scoring: the measured tail, and the event loop's recent delay, which the
   * tail cannot see (a request read from its socket late was stamped as arriving late).
   */
  private tailMs(): number {
    return this.tailReserve.ms + this.metrics.loopDelayReserveMs;
  }

  /** Called when a reranked search's answer has been sent: measures the part after its scoring. */
  rerankAnswered(limits: RequestLimits): void {
    const scoringEnd = this.budgetCut.get(limits);
    if (scoringEnd !== undefined) this.tailReserve.observe(Date.now() - scoringEnd);
  }

  /** The ranker workers' scheduling priority (nice), as they reported it. */
  get rankPriority(): { nice: number; reason?: string } | undefined {
    return this.rankPool.priority;
  }

  /**
   * What can be refused from the request alone (mode not served, filter on an unknown field), checked on
   * the HTTP thread before the request takes an admission slot or enters any queue.
   */
  validateSearch(body: SearchBody): void {
    const mode: RetrievalMode = body.mode ?? 'bm25';
    if (!this.engine.info.modes.includes(mode)) {
      throw new SiftError(
        'E_MODE_UNAVAILABLE',
        `mode "${mode}" is not served here (available: ${this.engine.info.modes.join(', ')}); start sift serve with --embedder`,
        { field: 'mode' },
      );
    }
    checkFilterFields(body.filters, this.engine.info.fields);
  }

  /**
   * Searches; `body.rerank`, when set, must be a ready ranker's canonical id (the route resolves it).
   * Reranking scores the best-first prefix of the candidates that fits the budget.
   */
  async search(body: SearchBody, limits: RequestLimits): Promise<SearchReply & { rerank?: RerankReport }> {
    const { signal } = limits;
    const started = performance.now();
    const timings: Timings = {};
    const mode: RetrievalMode = body.mode ?? 'bm25';
    const k = body.k ?? 10;
    this.validateSearch(body);
    // A reranked search has its own latency budget and gives way to plain searches in the first stage.
    const priority = body.rerank ? 'low' : 'high';
    const firstStageStarted = performance.now();
    let vector: Float32Array | undefined;
    if (mode !== 'bm25') {
      vector = await this.stage('embed', timings, signal, () =>
        this.embedQuery(body.query, signal, priority),
      );
    }
    const budgetMs = body.rerankBudgetMs ?? this.config.rerankBudgetMs;
    let requested = 0;
    if (body.rerank) {
      const cap = Math.min(body.rerankDepth ?? this.config.rerankDepth, this.config.rerankDepth);
      requested = Math.min(cap, this.depthController.depth(budgetMs, this.rerankInFlight + 1));
    }
    const depth = Math.max(k, requested);
    const retrieved = await this.stage('retrieve', timings, signal, () =>
      this.engine.search(
        {
          query: body.query,
          mode,
          depth,
          ...(vector ? { vector } : {}),
          ...(body.filters ? { filter: body.filters } : {}),
          withText: requested,
          withSnippet: body.rerank ? 0 : k,
        },
        signal,
        priority,
      ),
    );
    for (const queries of retrieved.knnScans ?? [])
      this.metrics.batchSize.observe({ batcher: 'knn' }, queries);
    let hits = retrieved.hits;
    let report: RerankReport | undefined;
    if (body.rerank) {
      this.firstStageReserve.observe(performance.now() - firstStageStarted);
      const ranker = body.rerank;
      const reranked = await this.stage('rerank', timings, signal, () =>
        this.rerank(ranker, body.query, hits, k, requested, budgetMs, limits),
      );
      hits = reranked.hits;
      report = { ranker, depth: reranked.scored, requested, budgetMs };
    }
    timings.total = performance.now() - started;
    this.metrics.stageSeconds.observe({ stage: 'total' }, timings.total / 1000);
    return {
      results: hits.map((hit) => ({
        id: hit.id,
        score: hit.score,
        title: hit.title,
        snippet: hit.snippet?.text ?? '',
        highlights: hit.snippet?.highlights ?? [],
        stages: hit.stages,
        metadata: hit.metadata,
      })),
      timings,
      ...(report ? { rerank: report } : {}),
    };
  }

  private async embedQuery(query: string, signal: AbortSignal, priority: Priority): Promise<Float32Array> {
    const cached = this.queryCache.get(query);
    this.metrics.cacheLookups.inc({ cache: 'query-embedding', result: cached ? 'hit' : 'miss' });
    if (cached) return cached;
    if (!this.queryEmbeds) throw new SiftError('E_MODE_UNAVAILABLE', 'this service has no query embedder');
    const vector = await this.queryEmbeds.submit(query, signal, priority);
    this.queryCache.set(query, vector);
    return vector;
  }

  /**
   * Scores the first `requested` candidates with the ranker (cached scores reused; under the budget the
   * worker may score only a prefix of the rest), orders the scored ones by their score, then any unscored
   * ones in first-stage order, keeps the best k and adds their snippets.
   */
  private async rerank(
    ranker: string,
    query: string,
    hits: EngineHit[],
    k: number,
    requested: number,
    budgetMs: number,
    limits: RequestLimits,
  ): Promise<{ hits: EngineHit[]; scored: number }> {
    const stageStarted = performance.now();
    const stageStartedAt = Date.now();
    const pool = hits.slice(0, requested);
    const candidates: RankCandidate[] = pool.map((hit) => {
      const text = hit.text ?? '';
      // Only a summary of the document's current text is used (the hash says); else the full text.
      const summary = this.summaries?.get(hit.id, { title: hit.title, text });
      return { id: hit.id, title: hit.title, text: summary ?? text };
    });
    // Scoring ends early enough for what follows it to fit in the budget too.
    const budgetEnd = limits.startedAt + budgetMs - this.tailMs();
    let scoringMs = 0;
    const { scores, cached, missed, fresh } = await scoreThroughCache(
      this.scoreCache,
      ranker,
      query,
      candidates,
      async (misses) => {
        this.rerankInFlight++;
        try {
          const outcome = await this.rankJobs.score(ranker, query, misses, limits, budgetEnd);
          scoringMs = outcome.scoringMs;
          // Under the budget the worker scores a best-first prefix of the misses; the rest stay unscored.
          return outcome.scores;
        } finally {
          this.rerankInFlight--;
        }
      },
    );
    this.metrics.cacheLookups.inc({ cache: 'ranker-score', result: 'hit' }, cached);
    this.metrics.cacheLookups.inc({ cache: 'ranker-score', result: 'miss' }, missed);
    // The pool's scored hits by score, then the rest of the first stage in its order (one ordering rule
    // for every reranking path: rank/rerank.ts).
    const all = [...pool, ...hits.slice(pool.length)];
    const order = rerankedOrder(
      all,
      all.map((_, i) => (i < pool.length ? scores[i] : undefined)),
    ).slice(0, k);
    const scoredCount = scores.filter((s) => s !== undefined).length;
    this.depthController.observe({
      scored: fresh,
      scoringMs,
      latencyMs: performance.now() - stageStarted,
      budgetMs,
    });
    // Snippets only for the k hits answered (snippets for every fetched hit in the first stage were
    // measured to save nothing: serve-snippets-before/after.json).
    const snippets = await this.engine.snippets(
      query,
      order.map(({ hit }) => hit.ord),
    );
    // Only a search the budget cut says how long the answer takes after scoring had to end (or, for one
    // that reached this stage late, after it began); the route reports when the answer was sent.
    if (scoredCount < pool.length) this.budgetCut.set(limits, Math.max(budgetEnd, stageStartedAt));
    const reranked = order.map(({ hit, score }, i) => {
      const { text: _text, ...rest } = hit;
      return score === undefined
        ? { ...rest, snippet: snippets[i]! }
        : { ...rest, score, stages: { ...hit.stages, rerank: score }, snippet: snippets[i]! };
    });
    return { hits: reranked, scored: scoredCount };
  }

  /**
   * Scores every document through the same score cache as reranked searches; `body.ranker` must be a
   * ready ranker's canonical id (the route resolves it).
   */
  async rank(
    body: RankBody,
    limits: RequestLimits,
  ): Promise<{ ranker: string; scores: number[]; timings: Timings }> {
    const { signal } = limits;
    const started = performance.now();
    const timings: Timings = {};
    const ranker = body.ranker ?? 'default';
    const candidates = body.documents.map((doc, i) => ({
      id: doc.id ?? String(i),
      title: doc.title ?? '',
      text: doc.text,
    }));
    const outcome = await this.stage('rank', timings, signal, () =>
      scoreThroughCache(this.scoreCache, ranker, body.query, candidates, async (misses) => {
        return (await this.rankJobs.score(ranker, body.query, misses, limits)).scores;
      }),
    );
    this.metrics.cacheLookups.inc({ cache: 'ranker-score', result: 'hit' }, outcome.cached);
    this.metrics.cacheLookups.inc({ cache: 'ranker-score', result: 'miss' }, outcome.missed);
    timings.total = performance.now() - started;
    return { ranker, scores: outcome.scores.map((score) => score ?? 0), timings };
  }

  /** Adds or replaces documents (embedding them for dense search) and answers once they are committed. */
  async upsert(body: DocumentsBody): Promise<{ upserted: number; generation: number; documents: number }> {
    const docs: Doc[] = body.documents.map((doc) => ({
      id: doc.id,
      title: doc.title ?? '',
      text: doc.text,
      metadata: doc.metadata ?? {},
    }));
    let vectors: Float32Array | undefined;
    if (this.documentEmbeds && this.engine.info.modes.includes('dense')) {
      const rows = await Promise.all(docs.map((doc) => this.documentEmbeds!.submit(embeddingText(doc))));
      const d = rows[0]?.length ?? 0;
      vectors = new Float32Array(rows.length * d);
      rows.forEach((row, i) => {
        vectors!.set(row, i * d);
      });
    }
    const result = await this.engine.upsert(docs, vectors);
    // New metadata fields become filterable at once (the engine's facets are recomputed lazily).
    const fields = new Set(this.engine.info.fields);
    for (const doc of docs) for (const field of Object.keys(doc.metadata)) fields.add(field);
    this.engine.info = {
      ...this.engine.info,
      documents: result.documents,
      generation: result.generation,
      fields: [...fields].sort((a, b) => a.localeCompare(b)),
    };
    return { upserted: docs.length, ...result };
  }

  async delete(id: string): Promise<{ deleted: string; generation: number; documents: number }> {
    const result = await this.engine.delete(id);
    this.engine.info = { ...this.engine.info, documents: result.documents, generation: result.generation };
    return { deleted: id, ...result };
  }

  /**
   * Runs one stage, timing it; rejects as soon as the signal aborts (a deadline answers on time even
   * while a model call is still running, whose result is then dropped).
   */
  private async stage<T>(
    name: string,
    timings: Timings,
    signal: AbortSignal,
    run: () => Promise<T>,
  ): Promise<T> {
    signal.throwIfAborted();
    const started = performance.now();
    const value = await raceAbort(run(), signal);
    timings[name] = performance.now() - started;
    this.metrics.stageSeconds.observe({ stage: name }, timings[name] / 1000);
    return value;
  }
}
