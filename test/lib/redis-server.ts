// A throwaway Redis for the queue tests: `redis-server` (Debian's package; .ci/run installs it) on a
// free loopback port, with no persistence, stopped when the test ends; or a Redis Cluster of such
// servers, made by `redis-cli --cluster create` (from the same package). Where redis-server is missing
// the tests skip, saying so loudly; under CI (SIFT_REQUIRE_REDIS=1, or CI=true) that is a failure.

import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

/** false when redis-server is on PATH; else the skip reason (and under CI, a thrown error). */
export function redisSkip(): false | string {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    const reason = 'redis-server is not installed (apt-get install redis-server)';
    if (process.env.SIFT_REQUIRE_REDIS === '1' || process.env.CI === 'true' || process.env.CI === '1') {
      throw new Error(`queue test cannot skip under CI: ${reason}`);
    }
    process.stderr.write(`\n*** SKIPPING a queue test: ${reason} ***\n`);
    return reason;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A redis-server on a free port; `extra` arguments are appended (cluster settings). */
async function startServer(extra: string[] = [], cwd?: string): Promise<TestRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra],
    { stdio: 'ignore', ...(cwd ? { cwd } : {}) },
  );
  for (let waited = 0; !(await accepts(port)); waited += 50) {
    if (waited > 10_000 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function startRedis(): Promise<TestRedis> {
  return startServer();
}

/**
 * A Redis Cluster of `nodes` masters on loopback (no replicas), its 16,384 slots spread over them, ready
 * when every node reports cluster_state:ok. `url` is a redis+cluster:// URL of every node.
 */
export async function startRedisCluster(nodes = 3): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'sift-redis-cluster-'));
  const servers: TestRedis[] = [];
  const stop = async () => {
    for (const server of servers) await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < nodes; i++) {
      // The bus port is its own free port: the default (port + 10000) may be out of range or taken.
      const busPort = await freePort();
      servers.push(
        await startServer(
          [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${i}.conf`,
            '--cluster-port',
            String(busPort),
          ],
          dir,
        ),
      );
    }
    const run = promisify(execFile);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...servers.map((server) => `127.0.0.1:${server.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const server of servers) {
      for (let waited = 0; ; waited += 100) {
        const { stdout } = await run('redis-cli', ['-p', String(server.port), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) break;
        if (waited > 20_000)
          throw new Error(`Redis Cluster node ${server.port} never reported cluster_state:ok`);
        await sleep(100);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `redis+cluster://${servers.map((server) => `127.0.0.1:${server.port}`).join(',')}`,
    port: servers[0]!.port,
    stop,
  };
}
