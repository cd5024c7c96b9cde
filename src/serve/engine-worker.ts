// The engine thread: owns the served index and answers searches and writes, so that BM25 scoring, the
// exact-kNN scan (ONNX Runtime runs it on the calling thread) and index commits never hold the HTTP
// thread's event loop.
//
// Dense searches that are in the engine together share one kNN scan (retrieve/coalescing-knn.ts): each
// search's BM25 part runs as its message arrives, its query vector waits until the thread is free, and
// then one pass over the vectors answers all of them.
//
// With a Weaviate backend, retrieval (BM25 and exact kNN) runs in the cluster and the local index keeps
// serving documents, snippets and facets. A write goes to the cluster first and then to the local index,
// so a write the cluster refused changes nothing here.
//
// Writes are group-committed: writes that arrive while a commit is running are applied together and
// made durable by the next single commit, and each write is answered only after the commit that holds
// it has flipped CURRENT. A commit that fails reloads the last committed generation, so memory never
// runs ahead of disk.

import { parentPort, workerData } from 'node:worker_threads';
import { SiftError } from '../errors.js';
import type { VectorStore } from '../index/index.js';
import { SiftIndex } from '../index/index.js';
import type { Doc } from '../ingest/index.js';
import { connectWeaviate, type WeaviateCollection, type WeaviateConnection } from '../remote/index.js';
import type { FusedHit } from '../retrieve/index.js';
import {
  Bm25Retriever,
  CoalescingKnn,
  composeRetriever,
  DenseRetriever,
  ExactKnn,
  type Hit,
  makeSnippet,
  type Retriever,
  type RetrieverParts,
  type VectorSearcher,
} from '../retrieve/index.js';
import { openRemoteParts, type RetrievalMode, toRemoteDoc } from '../search/index.js';
import type {
  EngineHit,
  EngineInfo,
  EngineMessage,
  EngineReply,
  EngineSearch,
  EngineSearchResult,
  EngineWorkerData,
  Facet,
  WriteResult,
} from './engine-protocol.js';
import { toWireError } from './wire-error.js';

const data = workerData as EngineWorkerData;
const port = parentPort!;

/** Text fields with at most this many distinct values are offered as choices. */
const MAX_FACET_VALUES = 200;

/** A Weaviate cluster that holds the index's documents and vectors and answers its retrieval. */
interface RemoteBackend {
  connection: WeaviateConnection;
  collection: WeaviateCollection;
  parts: RetrieverParts;
}

class Engine {
  private bm25: Bm25Retriever;
  private knn: ExactKnn | undefined;
  /** What dense search scans through: the kNN engine itself, or a batching front on it. */
  private searcher: VectorSearcher | undefined;
  /** Queries per scan started since the last search reply. */
  private knnScans: number[] = [];
  private store: VectorStore | undefined;
  private facets: { facets: Facet[]; fields: string[] } | undefined;
  private readonly pendingWrites: Array<{ apply: () => unknown; reply: (error?: unknown) => void }> = [];
  private committing: Promise<void> | undefined;

  constructor(
    private index: SiftIndex,
    private readonly remote?: RemoteBackend,
  ) {
    this.bm25 = new Bm25Retriever(index);
    this.attachVectors();
  }

  /** Opens the index and, for a Weaviate backend, imports what the cluster lacks of it. */
  static async open(): Promise<Engine> {
    const index = await SiftIndex.open(data.indexDir);
    if (data.backend === 'local') return new Engine(index);
    const connection = await connectWeaviate(data.backend.weaviate);
    try {
      // The server checked that there is an embedder, and embedded the documents that lacked a vector.
      const { collection, parts } = await openRemoteParts(connection, index, data.embedder ?? '', {
        quiet: true,
      });
      return new Engine(index, { connection, collection, parts });
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  private attachVectors(): void {
    this.store = data.embedder ? this.index.vectors(data.embedder) : undefined;
    this.knn = this.store ? new ExactKnn(this.store, { intraOpThreads: data.knnThreads }) : undefined;
    this.searcher =
      this.knn && data.knnBatch > 1
        ? new CoalescingKnn(this.knn, {
            maxBatch: data.knnBatch,
            onBatch: (queries) => this.knnScans.push(queries),
          })
        : this.knn;
  }

  info(): EngineInfo {
    const modes: RetrievalMode[] = this.knn ? ['bm25', 'dense', 'hybrid'] : ['bm25'];
    this.facets ??= computeFacets(this.index);
    return {
      name: this.index.name,
      documents: this.index.docs.liveOrdinals().length,
      generation: this.index.generation,
      modes: this.remote ? ['bm25', 'dense', 'hybrid'] : modes,
      facets: this.facets.facets,
      fields: this.facets.fields,
      backend: this.remote
        ? {
            kind: 'weaviate',
            url: this.remote.connection.endpoint.url,
            collection: this.remote.collection.name,
          }
        : { kind: 'local' },
    };
  }

  async search(request: EngineSearch): Promise<EngineSearchResult> {
    const started = performance.now();
    const { docs } = this.index;
    const retriever = this.retriever(request);
    const hits = (await retriever.search({
      query: request.query,
      k: request.depth,
      ...(request.filter ? { filter: request.filter } : {}),
      ...(request.vector ? { vector: request.vector } : {}),
    })) as Array<Hit & Partial<FusedHit>>;
    const results: EngineHit[] = [];
    for (const hit of hits) {
      // A remote backend's hits name documents by id. One the local index no longer has (a delete the
      // cluster has not applied yet on the replica that answered) is left out.
      const ord = hit.ord ?? docs.ordOf(hit.id);
      if (ord === undefined || !docs.isLive(ord)) continue;
      const rank = results.length;
      const doc = docs.get(ord);
      const stages = hit.stages
        ? { ...hit.stages, [request.mode]: hit.score }
        : { [request.mode]: hit.score };
      results.push({
        id: hit.id,
        ord,
        score: hit.score,
        stages,
        title: doc.title,
        metadata: doc.metadata as EngineHit['metadata'],
        ...(rank < request.withText ? { text: doc.text } : {}),
        ...(rank < request.withSnippet
          ? { snippet: makeSnippet(this.index.analyzer, request.query, doc.text) }
          : {}),
      });
    }
    const knnScans = this.knnScans;
    this.knnScans = [];
    return { hits: results, ms: performance.now() - started, ...(knnScans.length ? { knnScans } : {}) };
  }

  private retriever(request: EngineSearch): Retriever {
    if (request.mode !== 'bm25' && this.store && request.vector?.length !== this.store.dimension) {
      throw new SiftError('E_VECTOR_DIMENSION', `the query vector must have ${this.store.dimension} values`);
    }
    if (this.remote) return composeRetriever(request.mode, this.remote.parts);
    // The query vector comes with the request (embedded on the HTTP side), so the dense retriever has no encoder.
    const dense = this.searcher ? new DenseRetriever(this.index.docs, undefined, this.searcher) : undefined;
    return composeRetriever(request.mode, { lexical: this.bm25, ...(dense ? { dense } : {}) });
  }

  snippets(query: string, ords: number[]): Array<EngineHit['snippet']> {
    return ords.map((ord) => makeSnippet(this.index.analyzer, query, this.index.docs.get(ord).text));
  }

  async upsert(docs: Doc[], vectors: Float32Array | undefined): Promise<WriteResult> {
    const dimension = this.store?.dimension ?? 0;
    if (vectors && vectors.length !== docs.length * dimension) {
      throw new SiftError(
        'E_VECTOR_DIMENSION',
        `${docs.length} documents came with ${vectors.length} vector values`,
      );
    }
    if (this.remote) {
      if (!vectors) throw new SiftError('E_INTERNAL', 'a write to Weaviate came without its vectors');
      const { analyzer } = this.index;
      await this.remote.collection.upsert(
        docs.map((doc, i) =>
          toRemoteDoc(analyzer, doc, vectors.subarray(i * dimension, (i + 1) * dimension)),
        ),
      );
    }
    return this.write(() => {
      docs.forEach((doc, i) => {
        const ord = this.index.upsert(doc);
        // A vector is stored only where rows stay aligned with ordinals; a store that is behind is
        // completed by the next (resumable) embedding pass.
        if (this.store && vectors && this.store.rows === ord) {
          this.store.add(vectors.subarray(i * dimension, (i + 1) * dimension));
        }
      });
    });
  }

  async delete(docId: string): Promise<WriteResult> {
    if (this.index.docs.ordOf(docId) === undefined) {
      throw new SiftError('E_UNKNOWN_DOC', `no document "${docId}" in index ${this.index.name}`, {
        field: 'id',
      });
    }
    await this.remote?.collection.delete(docId);
    return this.write(() => this.index.delete(docId));
  }

  /** Applies a change in memory and resolves once a commit holding it is durable. */
  private write(apply: () => unknown): Promise<WriteResult> {
    return new Promise<WriteResult>((resolve, reject) => {
      this.pendingWrites.push({
        apply,
        reply: (error) =>
          error
            ? reject(error)
            : resolve({
                generation: this.index.generation,
                documents: this.index.docs.liveOrdinals().length,
              }),
      });
      this.committing ??= this.commitLoop().finally(() => {
        this.committing = undefined;
      });
    });
  }

  private async commitLoop(): Promise<void> {
    // Yield once so that writes sent together join the first commit.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.pendingWrites.length > 0) {
      const batch = this.pendingWrites.splice(0);
      const applied: typeof batch = [];
      for (const write of batch) {
        try {
          write.apply();
          applied.push(write);
        } catch (error) {
          write.reply(error);
        }
      }
      try {
        await this.index.commit();
        this.facets = undefined;
        for (const write of applied) write.reply();
      } catch (error) {
        // Disk still holds the previous generation: drop what memory has beyond it.
        await this.reload();
        for (const write of applied) write.reply(error);
      }
    }
  }

  private async reload(): Promise<void> {
    await this.knn?.release();
    this.index = await SiftIndex.open(this.index.dir);
    this.bm25 = new Bm25Retriever(this.index);
    this.attachVectors();
    this.facets = undefined;
  }

  /** Waits for pending writes to be committed, then releases the kNN sessions. */
  async close(): Promise<void> {
    while (this.committing) await this.committing;
    await this.knn?.release();
    await this.remote?.connection.close();
  }
}

function computeFacets(index: SiftIndex): { facets: Facet[]; fields: string[] } {
  const text = new Map<string, Set<string> | null>();
  const numeric = new Map<string, { min: number; max: number }>();
  const fields = new Set<string>();
  for (const ord of index.docs.liveOrdinals()) {
    for (const [field, value] of Object.entries(index.docs.metadata(ord))) {
      fields.add(field);
      for (const item of Array.isArray(value) ? value : [value]) {
        if (typeof item === 'number') {
          const range = numeric.get(field);
          if (range) {
            range.min = Math.min(range.min, item);
            range.max = Math.max(range.max, item);
          } else numeric.set(field, { min: item, max: item });
        } else if (typeof item === 'string') {
          const values = text.get(field);
          if (values === null) continue;
          const set = values ?? new Set<string>();
          set.add(item);
          text.set(field, set.size > MAX_FACET_VALUES ? null : set);
        }
      }
    }
  }
  const facets: Facet[] = [];
  for (const [field, values] of text) {
    if (values) facets.push({ field, values: [...values].sort((a, b) => a.localeCompare(b)) });
  }
  for (const [field, range] of numeric) if (!text.has(field)) facets.push({ field, ...range });
  return { facets, fields: [...fields].sort((a, b) => a.localeCompare(b)) };
}

async function main(): Promise<void> {
  let engine: Engine;
  try {
    engine = await Engine.open();
    port.postMessage({ id: 0, type: 'ready', info: engine.info() } satisfies EngineReply);
  } catch (error) {
    port.postMessage({ id: 0, type: 'failed', error: toWireError(error) } satisfies EngineReply);
    return;
  }
  port.on('message', async (message: EngineMessage | { op: 'close' }) => {
    if (message.op === 'close') {
      await engine.close();
      process.exit(0);
    }
    let reply: EngineReply;
    try {
      let value: unknown;
      if (message.op === 'search') value = await engine.search(message);
      else if (message.op === 'snippets') value = engine.snippets(message.query, message.ords);
      else if (message.op === 'upsert') value = await engine.upsert(message.docs, message.vectors);
      else if (message.op === 'delete') value = await engine.delete(message.docId);
      else value = engine.info();
      reply = { id: message.id, ok: true, value };
    } catch (error) {
      reply = { id: message.id, ok: false, error: toWireError(error) };
    }
    port.postMessage(reply);
  });
}

void main();
