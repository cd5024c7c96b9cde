// Connecting to a Weaviate cluster by one node's REST URL: a fast reachability check that names the URL,
// then the npm weaviate-client (REST for the schema, gRPC for batches and queries).

import weaviate, { type WeaviateClient } from 'weaviate-client';
import { SiftError } from '../errors.js';

export interface WeaviateEndpoint {
  /** The REST URL as given, without a trailing slash. */
  url: string;
  host: string;
  httpPort: number;
  /**
   * The node's gRPC port. Default: the REST port + 1, the layout of scripts/weaviate-cluster.sh (a stock
   * Weaviate on 8080 listens for gRPC on 50051, which is taken as the default there). Override with
   * `?grpc=PORT` on the URL or SIFT_WEAVIATE_GRPC_PORT.
   */
  grpcPort: number;
  secure: boolean;
}

export interface WeaviateConnection {
  client: WeaviateClient;
  endpoint: WeaviateEndpoint;
  /** Names of the cluster's nodes, as /v1/nodes lists them. */
  nodes: string[];
  close(): Promise<void>;
}

export function parseWeaviateUrl(url: string, env: NodeJS.ProcessEnv = process.env): WeaviateEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new SiftError(
      'E_BAD_URL',
      `--url "${url}" is not a URL (expected http://host:port)`,
      {
        field: 'url',
      },
      { cause },
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new SiftError('E_BAD_URL', `--url "${url}" must be http:// or https://`, { field: 'url' });
  }
  const secure = parsed.protocol === 'https:';
  const httpPort = parsed.port ? Number(parsed.port) : secure ? 443 : 80;
  const grpcOverride = parsed.searchParams.get('grpc') ?? env.SIFT_WEAVIATE_GRPC_PORT;
  const grpcPort = grpcOverride ? Number(grpcOverride) : httpPort === 8080 ? 50051 : httpPort + 1;
  if (!Number.isInteger(grpcPort) || grpcPort <= 0 || grpcPort > 65535) {
    throw new SiftError('E_BAD_URL', `gRPC port "${grpcOverride}" for ${url} is not a port`, {
      field: 'url',
    });
  }
  parsed.search = '';
  return {
    url: parsed.toString().replace(/\/$/, ''),
    host: parsed.hostname,
    httpPort,
    grpcPort,
    secure,
  };
}

/**
 * Connects, or fails with E_BACKEND_UNREACHABLE naming the URL before anything is created or sent.
 * `timeoutMs` bounds the reachability check (default 5 s).
 */
export async function connectWeaviate(url: string, timeoutMs = 5000): Promise<WeaviateConnection> {
  const endpoint = parseWeaviateUrl(url);
  const unreachable = (detail: string, cause?: unknown) =>
    new SiftError(
      'E_BACKEND_UNREACHABLE',
      `cannot reach Weaviate at ${endpoint.url} (gRPC port ${endpoint.grpcPort}): ${detail}`,
      { url: endpoint.url, grpcPort: endpoint.grpcPort },
      { cause },
    );
  let nodes: string[];
  try {
    const ready = await fetch(`${endpoint.url}/v1/.well-known/ready`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!ready.ok) throw unreachable(`GET /v1/.well-known/ready answered ${ready.status}`);
    const listed = await fetch(`${endpoint.url}/v1/nodes`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!listed.ok) throw unreachable(`GET /v1/nodes answered ${listed.status}`);
    const body = (await listed.json()) as { nodes?: Array<{ name: string }> };
    nodes = (body.nodes ?? []).map((node) => node.name);
  } catch (cause) {
    if (cause instanceof SiftError) throw cause;
    throw unreachable(describeCause(cause), cause);
  }
  let client: WeaviateClient;
  try {
    client = await weaviate.connectToCustom({
      httpHost: endpoint.host,
      httpPort: endpoint.httpPort,
      httpSecure: endpoint.secure,
      grpcHost: endpoint.host,
      grpcPort: endpoint.grpcPort,
      grpcSecure: endpoint.secure,
      // Seconds. Imports of large batches and 1,000-deep queries need more than the defaults.
      timeout: { init: Math.ceil(timeoutMs / 1000), query: 60, insert: 120 },
    });
  } catch (cause) {
    throw unreachable(describeCause(cause), cause);
  }
  return { client, endpoint, nodes, close: () => client.close() };
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = (cause as { cause?: unknown }).cause;
  return inner instanceof Error ? `${cause.message} (${inner.message})` : cause.message;
}
