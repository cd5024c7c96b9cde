// Where the job queue is: a `redis://[user:password@]host[:port][/db]` URL into BullMQ's connection
// options, or `redis+cluster://[user:password@]host:port[,host:port…]` (seed nodes of a Redis Cluster)
// into an ioredis Cluster client; the key prefix (with a Redis Cluster hash tag); a reachability check
// that fails fast with the URL named instead of letting the Redis client retry forever; and the queue
// handles producers and workers open.

import { connect } from 'node:net';
import { type ConnectionOptions, Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import { SiftError } from '../errors.js';

/**
 * Every key BullMQ writes starts with the prefix. Its braces are a Redis Cluster hash tag: only the
 * part inside `{}` is hashed, so all of a queue's keys land in one slot, which BullMQ's multi-key Lua
 * scripts need on a cluster (they fail with CROSSSLOT otherwise). On a single Redis it costs nothing.
 */
export const DEFAULT_QUEUE_PREFIX = '{sift}';

/** The connection fields BullMQ hands to its Redis client (ioredis). */
export interface QueueConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
}

export interface QueueTarget {
  /** The Redis (for a cluster: its first seed node, which the reachability check dials). */
  connection: QueueConnection;
  /** A Redis Cluster's seed nodes (`redis+cluster://`); the client finds the others from them. */
  cluster?: QueueConnection[];
  prefix: string;
  /** The URL without its password, for logs and the store's job row. */
  display: string;
}

/** Reads `--queue` and `--prefix`; throws E_BAD_ARGUMENT naming the field that is wrong. */
export function queueTarget(url: string, prefix = DEFAULT_QUEUE_PREFIX): QueueTarget {
  checkPrefix(prefix);
  if (url.startsWith('redis+cluster://')) return clusterTarget(url, prefix);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new SiftError(
      'E_BAD_URL',
      `--queue takes a redis:// URL such as redis://127.0.0.1:6379, not "${url}"`,
      { field: 'queue' },
      { cause: error },
    );
  }
  if (parsed.protocol !== 'redis:') {
    throw new SiftError('E_BAD_URL', `--queue takes a redis:// URL, not ${parsed.protocol}//`, {
      field: 'queue',
    });
  }
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const dbText = parsed.pathname.replace(/^\//, '');
  const db = dbText === '' ? undefined : Number(dbText);
  if (db !== undefined && (!Number.isInteger(db) || db < 0)) {
    throw new SiftError('E_BAD_URL', `--queue: the database "${dbText}" is not a number`, {
      field: 'queue',
    });
  }
  const connection: QueueConnection = {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db !== undefined ? { db } : {}),
  };
  return {
    connection,
    prefix,
    display: `redis://${connection.host}:${port}${db !== undefined ? `/${db}` : ''}`,
  };
}

function checkPrefix(prefix: string): void {
  if (!/^[^{}:]*\{[^{}:]+\}[^{}:]*$/.test(prefix)) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      `--prefix needs one non-empty {hash tag} and no ":" (e.g. {sift}), so that a queue's keys share a Redis Cluster slot; got "${prefix}"`,
      { field: 'prefix' },
    );
  }
}

/** `redis+cluster://[user:password@]host:port[,host:port…]`: seed nodes, no database (a cluster has one). */
function clusterTarget(url: string, prefix: string): QueueTarget {
  const bad = (detail: string) =>
    new SiftError('E_BAD_URL', `--queue ${detail}, e.g. redis+cluster://10.0.0.1:7000,10.0.0.2:7000`, {
      field: 'queue',
    });
  let rest = url.slice('redis+cluster://'.length);
  let credentials: Pick<QueueConnection, 'username' | 'password'> = {};
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const [user = '', password] = rest.slice(0, at).split(':');
    credentials = {
      ...(user ? { username: decodeURIComponent(user) } : {}),
      ...(password ? { password: decodeURIComponent(password) } : {}),
    };
    rest = rest.slice(at + 1);
  }
  if (rest.includes('/') && rest.replace(/\/$/, '').includes('/'))
    throw bad('names no database on a cluster (a Redis Cluster has only database 0)');
  const nodes = rest
    .replace(/\/$/, '')
    .split(',')
    .map((node): QueueConnection => {
      const match = /^([^:,]+):(\d+)$/.exec(node.trim());
      if (!match) throw bad(`takes host:port seed nodes, not "${node}"`);
      return { host: match[1]!, port: Number(match[2]), ...credentials };
    });
  return {
    connection: nodes[0]!,
    cluster: nodes,
    prefix,
    display: `redis+cluster://${nodes.map((node) => `${node.host}:${node.port}`).join(',')}`,
  };
}

/**
 * What BullMQ connects with for one queue handle: connection options (BullMQ makes and closes its own
 * clients), or, on a cluster, an ioredis Cluster client of our own, which `close` ends. A worker's
 * blocking connection must not give up on a command (`maxRetriesPerRequest: null`, as BullMQ requires).
 */
export function queueClient(
  target: QueueTarget,
  role: 'producer' | 'worker',
): { connection: ConnectionOptions; close(): Promise<void> } {
  const retries = role === 'worker' ? { maxRetriesPerRequest: null } : {};
  if (!target.cluster) return { connection: { ...target.connection, ...retries }, close: async () => {} };
  const { username, password } = target.connection;
  const cluster = new Cluster(
    target.cluster.map(({ host, port }) => ({ host, port })),
    {
      redisOptions: {
        ...(username ? { username } : {}),
        ...(password ? { password } : {}),
        ...retries,
      },
    },
  );
  return {
    connection: cluster,
    close: async () => {
      await cluster.quit().catch(() => cluster.disconnect());
    },
  };
}

/** Opens and closes a TCP connection to the queue's Redis; E_QUEUE_UNREACHABLE if it cannot. */
export async function checkQueueReachable(target: QueueTarget, timeoutMs = 3000): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: target.connection.host, port: target.connection.port });
    const fail = (cause: unknown) => {
      socket.destroy();
      reject(
        new SiftError(
          'E_QUEUE_UNREACHABLE',
          `cannot reach Redis at ${target.display} (${cause instanceof Error ? cause.message : String(cause)}); start one with \`redis-server --port ${target.connection.port}\``,
          { field: 'queue' },
          { cause },
        ),
      );
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no answer in ${timeoutMs} ms`)));
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
  });
}

/** A producer's handle on one of sift's chunk queues, with the job options every kind of chunk uses. */
export interface ChunkQueue {
  queue: Queue;
  /** Closes the queue and, on a cluster, its client. */
  close(): Promise<void>;
}

export function openChunkQueue(name: string, target: QueueTarget): ChunkQueue {
  const client = queueClient(target, 'producer');
  const queue = new Queue(name, {
    connection: client.connection,
    prefix: target.prefix,
    defaultJobOptions: {
      // Retries are for the unexpected (a busy database, a lost connection); bad jobs fail at once.
      attempts: 3,
      backoff: { type: 'exponential', delay: 2000 },
      // Kept a week so a producer (or a person) can read each chunk's result or failure reason.
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  });
  return {
    queue,
    async close() {
      // A queue closed while it is still connecting (a producer that found nothing to queue) leaves
      // BullMQ's start-up commands to fail with "Connection is closed" as unhandled rejections.
      await queue.waitUntilReady().catch(() => undefined);
      await queue.close();
      await client.close();
    },
  };
}
