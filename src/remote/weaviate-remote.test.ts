import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSiftError } from '../errors.js';
import { parseWeaviateUrl } from './weaviate-connection.js';
import { type ByProperty, compileRemoteFilter } from './weaviate-filter.js';
import {
  checkCompatible,
  collectionName,
  mapMetadataFields,
  type RemoteCollectionMeta,
} from './weaviate-schema.js';

// A stand-in for the client's filter builder that records what was asked, so the translation is checked
// without a cluster (the live test checks the documents it admits).
const byProperty = ((name: string) => ({
  containsAny: (values: string[]) => ({ name, op: 'containsAny', values }),
  greaterThan: (value: number) => ({ name, op: '>', value }),
  greaterOrEqual: (value: number) => ({ name, op: '>=', value }),
  lessThan: (value: number) => ({ name, op: '<', value }),
  lessOrEqual: (value: number) => ({ name, op: '<=', value }),
})) as unknown as ByProperty;

const fields = mapMetadataFields(
  new Map([
    ['location', { hasNumber: false }],
    ['salary-min', { hasNumber: true }],
  ]),
);

test('metadata fields map to valid, distinct property names', () => {
  assert.deepEqual(fields, {
    location: { keys: 'm_location' },
    'salary-min': { keys: 'm_salary_min', numbers: 'n_salary_min' },
  });
});

test('filters compile to normalised keys and numeric ranges with sift semantics', () => {
  assert.deepEqual(compileRemoteFilter(undefined, fields, byProperty), { kind: 'all' });
  assert.deepEqual(compileRemoteFilter({ location: ' Berlin ' }, fields, byProperty), {
    kind: 'where',
    where: { name: 'm_location', op: 'containsAny', values: ['berlin'] },
  });
  const range = compileRemoteFilter({ 'salary-min': { gte: 5, lt: 9 } }, fields, byProperty);
  assert.equal(range.kind, 'where');
  // A field no document has, or a range on a field that never holds a number, admits nothing.
  assert.deepEqual(compileRemoteFilter({ team: 'x' }, fields, byProperty), { kind: 'none' });
  assert.deepEqual(compileRemoteFilter({ location: { gt: 1 } }, fields, byProperty), { kind: 'none' });
  assert.throws(
    () => compileRemoteFilter({ location: { near: 1 } } as never, fields, byProperty),
    (error) => isSiftError(error, 'E_BAD_FILTER'),
  );
});

test('URLs give REST and gRPC endpoints; bad ones are refused', () => {
  assert.deepEqual(parseWeaviateUrl('http://127.0.0.1:20000/', {}), {
    url: 'http://127.0.0.1:20000',
    host: '127.0.0.1',
    httpPort: 20000,
    grpcPort: 20001,
    secure: false,
  });
  assert.equal(parseWeaviateUrl('http://localhost:8080', {}).grpcPort, 50051);
  assert.equal(parseWeaviateUrl('http://localhost:8080?grpc=6000', {}).grpcPort, 6000);
  assert.equal(parseWeaviateUrl('http://localhost:8080', { SIFT_WEAVIATE_GRPC_PORT: '7000' }).grpcPort, 7000);
  assert.throws(
    () => parseWeaviateUrl('127.0.0.1:8080', {}),
    (error) => isSiftError(error, 'E_BAD_URL'),
  );
});

test('collection names are valid class names; another dimension is refused', () => {
  assert.equal(
    collectionName('dbpedia-entity-subset', 'all-minilm-l6-v2:int8'),
    'Sift_dbpedia_entity_subset__all_minilm_l6_v2_int8',
  );
  const meta: RemoteCollectionMeta = {
    sift: 1,
    corpus: 'c',
    docCount: 3,
    embedder: 'e',
    dimension: 384,
    analyzer: {
      name: 'english',
      version: 1,
      foldDiacritics: true,
      stopWords: 'lucene-english',
      stem: true,
      maxTokenLength: 255,
    },
    bm25: { k1: 1.2, b: 0.75 },
    fields: {},
  };
  checkCompatible('X', meta, { ...meta });
  assert.throws(
    () => checkCompatible('X', meta, { ...meta, dimension: 768 }),
    (error) => isSiftError(error, 'E_BACKEND_SCHEMA') && /dimension/.test(error.message),
  );
});
