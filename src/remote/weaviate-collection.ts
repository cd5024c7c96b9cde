// One corpus in Weaviate: created (or checked) from a document source, filled by a resumable, idempotent
// batch import, and queried by vector (exact kNN on the flat index) or by BM25 over sift's terms.
//
// Idempotence: every document's UUID is a UUIDv5 of its id (namespaced by the collection), so writing a
// document twice overwrites one object. Resumption: before importing, the ids already stored are listed
// and skipped, so an interrupted import continues where it stopped and never duplicates a document.
// Consistency: writes wait for QUORUM (both replicas at replication factor 2); reads ask ONE replica of
// each shard, so a cluster with RF 2 answers every query while any one node is down.

import { type Collection, type ConsistencyLevel, type FilterValue, generateUuid5 } from 'weaviate-client';
import type { AnalyzerConfig } from '../analysis/index.js';
import { SiftError } from '../errors.js';
import type { MetadataValue } from '../ingest/index.js';
import type { FilterSpec, Hit } from '../retrieve/index.js';
import { ProgressBar } from '../util/index.js';
import type { WeaviateConnection } from './weaviate-connection.js';
import { type ByProperty, type CompiledRemoteFilter, compileRemoteFilter } from './weaviate-filter.js';
import {
  checkCompatible,
  classDefinition,
  collectionName,
  mapMetadataFields,
  metadataKey,
  noteMetadata,
  PROPS,
  REMOTE_FORMAT,
  type RemoteCollectionMeta,
  type RemoteLayout,
  readCollectionMeta,
} from './weaviate-schema.js';

/** A document as sift hands it to a remote backend: its fields, sift's terms and sift's vector. */
export interface RemoteDoc {
  id: string;
  title: string;
  text: string;
  metadata: Readonly<Record<string, MetadataValue>>;
  /** sift's analysed terms of each field (its tokenizer, stop words and stemmer). */
  titleTerms: readonly string[];
  textTerms: readonly string[];
  /** sift's embedding of the document (normalised). */
  vector: Float32Array;
}

export interface RemoteDocSource {
  /** sift's name of the corpus. */
  corpus: string;
  count: number;
  /** The documents, in a stable order; may be called more than once. */
  docs(): AsyncIterable<RemoteDoc> | Iterable<RemoteDoc>;
}

export interface EnsureCollectionOptions {
  embedder: string;
  dimension: number;
  analyzer: AnalyzerConfig;
  bm25: { k1: number; b: number };
  /** Default: 3 shards and replication factor 2 with ≥ 3 nodes; otherwise one shard per node, RF 1. */
  layout?: Partial<RemoteLayout>;
  /** Default: `Sift_<corpus>__<embedder>`. */
  name?: string;
  /** Consistency of reads (default ONE: any live replica answers). */
  readConsistency?: ConsistencyLevel;
}

export interface ImportOptions {
  /** Objects per batch request (default 200). */
  batchSize?: number;
  /** Batch requests in flight at once (default 4; see importFrom). */
  parallel?: number;
  quiet?: boolean;
  /** Stops between batches when aborted (what an interrupted import looks like, for tests). */
  signal?: AbortSignal;
}

export interface ImportOutcome {
  imported: number;
  /** Documents already stored (a resumed or repeated import). */
  skipped: number;
  seconds: number;
}

type Props = Record<string, unknown>;

export function defaultLayout(nodes: number, layout: Partial<RemoteLayout> = {}): RemoteLayout {
  const shards = layout.shards ?? (nodes >= 3 ? 3 : Math.max(1, nodes));
  const replicationFactor = layout.replicationFactor ?? (nodes >= 3 ? 2 : 1);
  if (!Number.isInteger(shards) || shards < 1) {
    throw new SiftError('E_BAD_ARGUMENT', `shards must be a positive integer, not ${shards}`, {
      field: 'shards',
    });
  }
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1 || replicationFactor > nodes) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      `replication factor ${replicationFactor} needs at least that many nodes (the cluster has ${nodes})`,
      { field: 'replication' },
    );
  }
  return { shards, replicationFactor };
}

export class WeaviateCollection {
  private readonly reads: Collection;
  private readonly writes: Collection;

  private constructor(
    private readonly connection: WeaviateConnection,
    readonly name: string,
    readonly meta: RemoteCollectionMeta,
    readConsistency: ConsistencyLevel,
  ) {
    const collection = connection.client.collections.use(name);
    this.reads = collection.withConsistency(readConsistency);
    this.writes = collection.withConsistency('QUORUM');
  }

  /**
   * Opens the collection for a document source, creating it when missing. An existing collection for
   * another model, dimension, analyzer or corpus is refused (E_BACKEND_SCHEMA) before anything is written.
   */
  static async ensure(
    connection: WeaviateConnection,
    source: RemoteDocSource,
    options: EnsureCollectionOptions,
  ): Promise<WeaviateCollection> {
    const name = options.name ?? collectionName(source.corpus, options.embedder);
    const seen = new Map<string, { hasNumber: boolean }>();
    for await (const doc of source.docs()) {
      noteMetadata(seen, doc.metadata);
      if (doc.vector.length !== options.dimension) {
        throw new SiftError(
          'E_VECTOR_DIMENSION',
          `document "${doc.id}" has a ${doc.vector.length}-dimensional vector, ${options.embedder} makes ${options.dimension}`,
          { expected: options.dimension, actual: doc.vector.length },
        );
      }
    }
    const wanted: RemoteCollectionMeta = {
      sift: REMOTE_FORMAT,
      corpus: source.corpus,
      docCount: source.count,
      embedder: options.embedder,
      dimension: options.dimension,
      analyzer: options.analyzer,
      bm25: options.bm25,
      fields: mapMetadataFields(seen),
    };
    let existing = await fetchClass(connection, name);
    if (!existing) {
      const layout = defaultLayout(connection.nodes.length, options.layout);
      try {
        await request(connection, `create collection ${name}`, () =>
          connection.client.collections.createFromSchema(classDefinition(name, wanted, layout)),
        );
        return new WeaviateCollection(connection, name, wanted, options.readConsistency ?? 'ONE');
      } catch (error) {
        // Another process may have created it meanwhile (imports are idempotent): check that one.
        existing = await fetchClass(connection, name);
        if (!existing) throw error;
      }
    }
    const meta = readCollectionMeta(name, existing.description);
    checkCompatible(name, meta, wanted);
    if (existing.vectorIndexType !== 'flat') {
      throw new SiftError(
        'E_BACKEND_SCHEMA',
        `Weaviate collection ${name} has a "${existing.vectorIndexType}" vector index; sift needs "flat" (exact kNN)`,
        { collection: name },
      );
    }
    return new WeaviateCollection(connection, name, meta, options.readConsistency ?? 'ONE');
  }

  /** Opens an existing collection of sift's by name (serving needs no document source). */
  static async open(
    connection: WeaviateConnection,
    name: string,
    readConsistency: ConsistencyLevel = 'ONE',
  ): Promise<WeaviateCollection> {
    const existing = await fetchClass(connection, name);
    if (!existing) {
      throw new SiftError(
        'E_INDEX_NOT_FOUND',
        `Weaviate at ${connection.endpoint.url} has no collection ${name}`,
        {
          collection: name,
        },
      );
    }
    return new WeaviateCollection(
      connection,
      name,
      readCollectionMeta(name, existing.description),
      readConsistency,
    );
  }

  uuidOf(docId: string): string {
    return generateUuid5(docId, this.name);
  }

  /** Objects stored (an aggregate over every shard). */
  async count(): Promise<number> {
    return request(this.connection, `count ${this.name}`, () => this.writes.length());
  }

  /** The UUIDs of every stored object (a cursor over all shards). */
  async storedUuids(): Promise<Set<string>> {
    return request(this.connection, `list ${this.name}`, async () => {
      const uuids = new Set<string>();
      for await (const object of this.reads.iterator({ returnProperties: [PROPS.docId] }))
        uuids.add(object.uuid);
      return uuids;
    });
  }

  /** Imports the documents not yet stored, in batches, with a progress bar. */
  async importFrom(source: RemoteDocSource, options: ImportOptions = {}): Promise<ImportOutcome> {
    const started = performance.now();
    const batchSize = options.batchSize ?? 200;
    // Fast path: a complete collection is not listed again.
    const count = await this.count().catch(() => -1);
    if (count === source.count) return { imported: 0, skipped: count, seconds: 0 };
    const stored = count > 0 ? await this.storedUuids() : new Set<string>();
    const progress = new ProgressBar({
      label: `importing into Weaviate ${this.name}`,
      total: source.count,
      unit: 'docs',
      quiet: options.quiet ?? false,
    });
    let imported = 0;
    let skipped = 0;
    let batch: Array<{ id: string; properties: Props; vectors: number[] }> = [];
    // Several batches in flight: a batch's time is mostly the server waiting on its disk (on this
    // machine's disk one batch of 1,000 took 1.6 s at under 10% CPU), and waits overlap.
    const parallel = Math.max(1, options.parallel ?? 4);
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    const flush = async () => {
      if (batch.length === 0) return;
      const objects = batch;
      batch = [];
      const sent: Promise<void> = this.insertBatch(objects).then(
        () => {
          imported += objects.length;
          progress.tick(objects.length);
        },
        (error: unknown) => {
          failure ??= error;
        },
      );
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
      if (inFlight.size >= parallel) await Promise.race(inFlight);
    };
    try {
      for await (const doc of source.docs()) {
        if (failure !== undefined) break;
        const uuid = this.uuidOf(doc.id);
        if (stored.has(uuid)) {
          skipped++;
          progress.tick();
          continue;
        }
        batch.push({ id: uuid, properties: this.propertiesOf(doc), vectors: Array.from(doc.vector) });
        if (batch.length >= batchSize) {
          await flush();
          if (options.signal?.aborted) break;
        }
      }
      if (failure === undefined && !options.signal?.aborted) await flush();
    } finally {
      // Every batch sent is answered before this returns or throws: none is left writing behind it.
      await Promise.all(inFlight);
      progress.finish();
    }
    if (failure !== undefined) throw failure;
    return { imported, skipped, seconds: (performance.now() - started) / 1000 };
  }

  /**
   * Writes these documents (a document already stored is replaced: its UUID is derived from its id),
   * waiting for QUORUM. A metadata field the collection does not map is refused before anything is sent.
   */
  async upsert(docs: readonly RemoteDoc[]): Promise<void> {
    const objects = docs.map((doc) => ({
      id: this.uuidOf(doc.id),
      properties: this.propertiesOf(doc),
      vectors: Array.from(doc.vector),
    }));
    if (objects.length > 0) await this.insertBatch(objects);
  }

  /** Deletes one document by its id, waiting for QUORUM; a document not stored is not an error. */
  async delete(docId: string): Promise<void> {
    await request(this.connection, `delete "${docId}" from ${this.name}`, () =>
      this.writes.data.deleteById(this.uuidOf(docId)),
    );
  }

  private propertiesOf(doc: RemoteDoc): Props {
    const properties: Props = {
      [PROPS.docId]: doc.id,
      [PROPS.title]: doc.title,
      [PROPS.text]: doc.text,
      [PROPS.metadata]: JSON.stringify(doc.metadata),
      [PROPS.titleTerms]: doc.titleTerms.join(' '),
      [PROPS.textTerms]: doc.textTerms.join(' '),
    };
    for (const [field, value] of Object.entries(doc.metadata)) {
      const mapping = this.meta.fields[field];
      if (!mapping) {
        throw new SiftError(
          'E_BACKEND_SCHEMA',
          `document "${doc.id}" has metadata field "${field}", which collection ${this.name} does not map`,
          { collection: this.name, field },
        );
      }
      const items: Array<string | number | boolean> = Array.isArray(value) ? value : [value];
      properties[mapping.keys] = items.map(metadataKey);
      if (mapping.numbers && typeof value === 'number') properties[mapping.numbers] = value;
    }
    return properties;
  }

  /** One batch, retried twice on failure (an import may meet a node restarting). */
  private async insertBatch(
    objects: Array<{ id: string; properties: Props; vectors: number[] }>,
  ): Promise<void> {
    let lastError = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      try {
        const result = await this.writes.data.insertMany(
          objects as unknown as Parameters<Collection['data']['insertMany']>[0],
        );
        if (!result.hasErrors) return;
        const first = Object.values(result.errors)[0];
        lastError = `${Object.keys(result.errors).length} of ${objects.length} objects failed, first: ${first?.message}`;
      } catch (cause) {
        lastError = cause instanceof Error ? cause.message : String(cause);
      }
    }
    throw new SiftError(
      'E_BACKEND_REQUEST',
      `batch import into ${this.name} at ${this.connection.endpoint.url} failed: ${lastError}`,
      { collection: this.name },
    );
  }

  /** Compiles a sift filter to this collection's properties. */
  compileFilter(filter: FilterSpec | undefined): CompiledRemoteFilter {
    const byProperty = ((name: string) => this.reads.filter.byProperty(name)) as unknown as ByProperty;
    return compileRemoteFilter(filter, this.meta.fields, byProperty);
  }

  /** Exact top k by cosine similarity (score = 1 − cosine distance). */
  async nearVector(vector: Float32Array, k: number, filter?: FilterSpec): Promise<Hit[]> {
    const where = this.compileFilter(filter);
    if (where.kind === 'none' || k <= 0) return [];
    const result = await request(this.connection, `nearVector on ${this.name}`, () =>
      this.reads.query.nearVector(Array.from(vector), {
        limit: k,
        returnMetadata: ['distance'],
        returnProperties: [PROPS.docId],
        ...(where.kind === 'where' ? { filters: where.where as FilterValue } : {}),
      }),
    );
    return result.objects.map((object) => ({
      id: String(object.properties[PROPS.docId]),
      score: 1 - (object.metadata?.distance ?? 1),
    }));
  }

  /** BM25 over sift's terms in the given term properties, top k. */
  async bm25(terms: readonly string[], properties: string[], k: number, filter?: FilterSpec): Promise<Hit[]> {
    const where = this.compileFilter(filter);
    if (where.kind === 'none' || k <= 0 || terms.length === 0) return [];
    const result = await request(this.connection, `bm25 on ${this.name}`, () =>
      this.reads.query.bm25(terms.join(' '), {
        queryProperties: properties,
        limit: k,
        returnMetadata: ['score'],
        returnProperties: [PROPS.docId],
        ...(where.kind === 'where' ? { filters: where.where as FilterValue } : {}),
      }),
    );
    return result.objects.map((object) => ({
      id: String(object.properties[PROPS.docId]),
      score: object.metadata?.score ?? 0,
    }));
  }

  /** Deletes the collection and everything in it. */
  async drop(): Promise<void> {
    await request(this.connection, `delete ${this.name}`, () =>
      this.connection.client.collections.delete(this.name),
    );
  }
}

interface ClassSummary {
  description?: string;
  vectorIndexType?: string;
}

/** The class as Weaviate's REST schema endpoint describes it, or undefined when there is none. */
async function fetchClass(connection: WeaviateConnection, name: string): Promise<ClassSummary | undefined> {
  const url = `${connection.endpoint.url}/v1/schema/${encodeURIComponent(name)}`;
  return request(connection, `read the schema of ${name}`, async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as ClassSummary;
  });
}

/** Runs one request, turning a client failure into E_BACKEND_REQUEST naming the URL. */
async function request<T>(connection: WeaviateConnection, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    if (cause instanceof SiftError) throw cause;
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new SiftError(
      'E_BACKEND_REQUEST',
      `${what} at ${connection.endpoint.url} failed: ${message}`,
      {},
      { cause },
    );
  }
}
