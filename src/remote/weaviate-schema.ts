// The Weaviate collection sift stores a corpus in: its name, its schema (exact `flat` index, cosine, no
// quantiser; sift's analysed terms for BM25; metadata as filterable keys) and the checks that refuse a
// collection written for another model, layout or corpus before anything is imported into it.

import type { WeaviateClient } from 'weaviate-client';
import type { AnalyzerConfig } from '../analysis/index.js';
import { SiftError } from '../errors.js';
import type { MetadataValue } from '../ingest/index.js';

/** Weaviate's REST class definition, as the client's createFromSchema takes it. */
type WeaviateClass = Parameters<WeaviateClient['collections']['createFromSchema']>[0];

/** Format of the description sift writes into each collection; an unknown one is refused. */
export const REMOTE_FORMAT = 1;

/** How one metadata field is stored: its equality keys, and its numbers when it has any (for ranges). */
export interface MetadataFieldMapping {
  /** text[] property of normalised keys (trimmed, lower-cased strings; numbers and booleans as text). */
  keys: string;
  /** number property holding the value when it is a single number (ranges need one); absent if none is. */
  numbers?: string;
}

/** What sift records in the collection's description, and checks on every open. */
export interface RemoteCollectionMeta {
  sift: typeof REMOTE_FORMAT;
  /** sift's name of the corpus (the BEIR collection's folder name, or an index name). */
  corpus: string;
  docCount: number;
  embedder: string;
  dimension: number;
  analyzer: AnalyzerConfig;
  bm25: { k1: number; b: number };
  fields: Record<string, MetadataFieldMapping>;
}

export interface RemoteLayout {
  shards: number;
  replicationFactor: number;
}

/** Weaviate property names of the document itself. */
export const PROPS = {
  docId: 'docId',
  title: 'title',
  text: 'text',
  metadata: 'metadataJson',
  titleTerms: 'titleTerms',
  textTerms: 'textTerms',
} as const;

/** Property of sift's analysed terms for each indexed field. */
export const TERM_PROPERTY: Record<'title' | 'text', string> = {
  title: PROPS.titleTerms,
  text: PROPS.textTerms,
};

/** A Weaviate class name for a corpus and embedder: `Sift_<corpus>__<embedder>`, in [A-Za-z0-9_]. */
export function collectionName(corpus: string, embedder: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return `Sift_${clean(corpus)}__${clean(embedder)}`;
}

/** Property mappings for the metadata fields seen in a corpus, in first-seen order. */
export function mapMetadataFields(
  seen: ReadonlyMap<string, { hasNumber: boolean }>,
): Record<string, MetadataFieldMapping> {
  const fields: Record<string, MetadataFieldMapping> = {};
  const used = new Set<string>();
  const unique = (base: string) => {
    let name = base;
    for (let i = 2; used.has(name.toLowerCase()); i++) name = `${base}_${i}`;
    used.add(name.toLowerCase());
    return name;
  };
  for (const [field, { hasNumber }] of seen) {
    const stem = field.replace(/[^A-Za-z0-9_]/g, '_');
    fields[field] = { keys: unique(`m_${stem}`), ...(hasNumber ? { numbers: unique(`n_${stem}`) } : {}) };
  }
  return fields;
}

/** Notes which metadata fields a document has and whether any holds a single number. */
export function noteMetadata(
  seen: Map<string, { hasNumber: boolean }>,
  metadata: Readonly<Record<string, MetadataValue>>,
): void {
  for (const [field, value] of Object.entries(metadata)) {
    const entry = seen.get(field) ?? { hasNumber: false };
    if (typeof value === 'number') entry.hasNumber = true;
    seen.set(field, entry);
  }
}

/** The key sift's filters compare by: strings trimmed and lower-cased, numbers and booleans as text. */
export function metadataKey(value: string | number | boolean): string {
  return typeof value === 'string' ? value.trim().toLowerCase() : String(value);
}

/** The class definition: exact search (flat, no quantiser), cosine, sift's terms for BM25. */
export function classDefinition(
  name: string,
  meta: RemoteCollectionMeta,
  layout: RemoteLayout,
): WeaviateClass {
  const stored = (property: string) => ({
    name: property,
    dataType: ['text'],
    indexFilterable: false,
    indexSearchable: false,
  });
  // sift has already analysed the text (its tokenizer, stop words, stemmer): whitespace tokenization
  // keeps its terms as they are, and no stop-word list may remove any of them again.
  const terms = (property: string) => ({
    name: property,
    dataType: ['text'],
    tokenization: 'whitespace',
    indexFilterable: false,
    indexSearchable: true,
  });
  const metadataProperties = Object.values(meta.fields).flatMap((mapping) => [
    {
      name: mapping.keys,
      dataType: ['text[]'],
      tokenization: 'field',
      indexFilterable: true,
      indexSearchable: false,
    },
    ...(mapping.numbers
      ? [{ name: mapping.numbers, dataType: ['number'], indexFilterable: true, indexRangeFilters: true }]
      : []),
  ]);
  return {
    class: name,
    description: JSON.stringify(meta),
    vectorizer: 'none',
    vectorIndexType: 'flat',
    // Exact kNN: a flat index scans every vector; no binary quantisation, so distances are float32 cosine.
    vectorIndexConfig: { distance: 'cosine', bq: { enabled: false } },
    invertedIndexConfig: {
      bm25: { k1: meta.bm25.k1, b: meta.bm25.b },
      stopwords: { preset: 'none' },
      indexTimestamps: false,
      indexNullState: false,
      indexPropertyLength: false,
    },
    shardingConfig: { desiredCount: layout.shards },
    replicationConfig: { factor: layout.replicationFactor },
    properties: [
      {
        name: PROPS.docId,
        dataType: ['text'],
        tokenization: 'field',
        indexFilterable: true,
        indexSearchable: false,
      },
      stored(PROPS.title),
      stored(PROPS.text),
      stored(PROPS.metadata),
      terms(PROPS.titleTerms),
      terms(PROPS.textTerms),
      ...metadataProperties,
    ],
  } as WeaviateClass;
}

/** Reads sift's description from an existing collection, or says why it is not one of sift's. */
export function readCollectionMeta(name: string, description: string | undefined): RemoteCollectionMeta {
  let meta: Partial<RemoteCollectionMeta> | undefined;
  try {
    meta = description ? (JSON.parse(description) as Partial<RemoteCollectionMeta>) : undefined;
  } catch {
    meta = undefined;
  }
  if (!meta || meta.sift !== REMOTE_FORMAT) {
    throw new SiftError(
      'E_BACKEND_SCHEMA',
      `Weaviate collection ${name} exists but was not written by this version of sift (format ${String(meta?.sift ?? 'none')}, expected ${REMOTE_FORMAT})`,
      { collection: name },
    );
  }
  return meta as RemoteCollectionMeta;
}

/** Refuses an existing collection that does not fit the wanted one (checked before any import). */
export function checkCompatible(
  name: string,
  existing: RemoteCollectionMeta,
  wanted: RemoteCollectionMeta,
): void {
  const refuse = (what: string, has: unknown, wants: unknown) =>
    new SiftError(
      'E_BACKEND_SCHEMA',
      `Weaviate collection ${name} holds ${what} ${JSON.stringify(has)}, this import has ${JSON.stringify(wants)}; delete the collection or use another name`,
      { collection: name, field: what },
    );
  if (existing.dimension !== wanted.dimension)
    throw refuse('vector dimension', existing.dimension, wanted.dimension);
  if (existing.embedder !== wanted.embedder) throw refuse('embedder', existing.embedder, wanted.embedder);
  if (existing.corpus !== wanted.corpus) throw refuse('corpus', existing.corpus, wanted.corpus);
  if (existing.docCount !== wanted.docCount)
    throw refuse('document count', existing.docCount, wanted.docCount);
  if (JSON.stringify(existing.analyzer) !== JSON.stringify(wanted.analyzer)) {
    throw refuse('analyzer', existing.analyzer, wanted.analyzer);
  }
}
