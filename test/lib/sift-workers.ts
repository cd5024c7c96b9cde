// `sift worker` child processes for the queue tests, with their stderr collected; the Redis the tests
// queue on; and a poll helper.

import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisSkip, startRedis } from './redis-server.js';

const SIFT = resolve('bin/sift');
const spawned: ChildProcess[] = [];

export interface WorkerProcess {
  child: ChildProcess;
  log: () => string;
  exited: Promise<number | NodeJS.Signals | null>;
}

/**
 * Starts `sift worker --queue url` with one thread (test files run two at a time on small machines) and a
 * 15 s lock, which must outlast the longest stretch the worker's event loop is blocked (opening a model
 * takes seconds, more on a loaded machine): a shorter one lapses while the worker lives and its chunk is
 * put back as stalled.
 */
export function startSiftWorker(url: string, extra: string[] = []): WorkerProcess {
  const child = spawn(SIFT, ['worker', '--queue', url, '--threads', '1', '--lock-seconds', '15', ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  spawned.push(child);
  let log = '';
  child.stderr?.on('data', (data: Buffer) => {
    log += data.toString();
  });
  const exited = new Promise<number | NodeJS.Signals | null>((done) =>
    child.once('exit', (code, signal) => done(signal ?? code)),
  );
  return { child, log: () => log, exited };
}

/** Kills every worker still running: a failed assertion must not leave workers keeping the test alive. */
export function killSiftWorkers(): void {
  for (const child of spawned)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Polls `check` every 100 ms until it holds; fails after `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 120_000,
): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Registers a file's Redis: started before its tests (unless redis-server is missing, where the tests
 * skip with `skip` as the reason, and CI fails instead), stopped after them with every worker killed.
 * `url()` is its URL inside a test.
 */
export function queueTestRedis(): { skip: false | string; url: () => string } {
  const skip = redisSkip();
  let url: string | undefined;
  let stop: (() => Promise<void>) | undefined;
  before(async () => {
    if (skip) return;
    const redis = await startRedis();
    url = redis.url;
    stop = () => redis.stop();
  });
  after(async () => {
    killSiftWorkers();
    await stop?.();
  });
  return {
    skip,
    url: () => {
      if (!url) throw new Error('Redis is not running');
      return url;
    },
  };
}
