// A throwaway Redis for the queue tests: `redis-server` (Debian's package; .ci/run installs it) on a
// free loopback port, with no persistence, stopped when the test ends. Where redis-server is missing
// the tests skip, saying so loudly; under CI (SIFT_REQUIRE_REDIS=1, or CI=true) that is a failure.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

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

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
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
