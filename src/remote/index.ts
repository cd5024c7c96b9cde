// Remote retrieval backends (Weaviate): the one public face of src/remote.
export {
  defaultLayout,
  type EnsureCollectionOptions,
  type ImportOptions,
  type ImportOutcome,
  type RemoteDoc,
  type RemoteDocSource,
  WeaviateCollection,
} from './weaviate-collection.js';
export {
  connectWeaviate,
  parseWeaviateUrl,
  type WeaviateConnection,
  type WeaviateEndpoint,
} from './weaviate-connection.js';
export { type CompiledRemoteFilter, compileRemoteFilter } from './weaviate-filter.js';
export {
  type RemoteBm25Params,
  WeaviateBm25Retriever,
  WeaviateDenseRetriever,
} from './weaviate-retrievers.js';
export {
  collectionName,
  type MetadataFieldMapping,
  type RemoteCollectionMeta,
  type RemoteLayout,
} from './weaviate-schema.js';
