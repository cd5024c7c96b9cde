// Helpers for the service's end-to-end tests: a real server on an ephemeral loopback port in a fresh
// SIFT_HOME (models borrowed from the real one), JSON requests over real HTTP, and metric readings.

import { mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDemoCollection } from '../../src/demo/index.js';
import {
  type RunningServer,
  resolveServeConfig,
  type ServeConfig,
  startServer,
} from '../../src/serve/index.js';
import { siftPaths } from '../../src/util/index.js';

export const API_KEY = 'test-key';

/** The deterministic rankers of test/fixtures/test-rankers.ts (compiled beside this file's folder). */
export const TEST_RANKERS = fileURLToPath(new URL('../fixtures/test-rankers.js', import.meta.url));

/** A fresh SIFT_HOME whose models folder is the real one, so nothing is pulled again. */
export async function tempHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'sift-serve-'));
  await symlink(siftPaths().models, join(home, 'models'));
  return home;
}

export async function startTestServer(
  home: string,
  settings: Partial<Record<keyof ServeConfig, string | number>>,
  options: { waitReady?: boolean } = {},
): Promise<RunningServer> {
  const env = { SIFT_HOME: home, SIFT_API_KEY: API_KEY };
  const config = await resolveServeConfig({
    flags: {
      port: 0,
      rankerModule: TEST_RANKERS,
      workers: 1,
      modelThreads: 1,
      rankers: TEST_RANKER_IDS,
      // Tests that serve the job corpus with sift's rankers would otherwise train its reranker in the
      // background (test/serve-demo-reranker.test.ts tests that); here it would only take the cores.
      demoTrain: 'off',
      ...settings,
    },
    env,
  });
  const server = await startServer(config, {
    quiet: true,
    log: () => {},
    env,
    demoCollection: ensureDemoCollection,
  });
  if (options.waitReady ?? true) await server.ready;
  return server;
}

/**
 * A fresh SIFT_HOME holding the synthetic corpus's BM25 index (built once by a server started and closed
 * here), for tests that start several servers over the same folder.
 */
export async function homeWithDemoIndex(docs: number): Promise<{ home: string; indexDir: string }> {
  const home = await tempHome();
  const first = await startTestServer(home, { demoDocs: docs, embedder: 'none' });
  await first.close();
  return { home, indexDir: first.indexDir };
}

/** The test rankers the servers build at start (others are built on first request, answered 503). */
export const TEST_RANKER_IDS = 'overlap,sleep-800,sleep-1000,sleep-1500';

export interface JsonResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary response fields
  body: any;
}

export async function request(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal; raw?: string } = {},
): Promise<JsonResponse> {
  const response = await fetch(new URL(path, base), {
    method,
    headers: {
      ...(body !== undefined || init.raw ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    ...(init.raw !== undefined
      ? { body: init.raw }
      : body !== undefined
        ? { body: JSON.stringify(body) }
        : {}),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (the page, metrics): the text itself.
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** The value of one Prometheus sample, e.g. metric(base, 'sift_queue_depth{queue="rank"}'); 0 when absent. */
export async function metric(base: string, sample: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', base))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

/** Polls until `check` holds (the server's own state, read through /metrics); fails after `ms`. */
export async function waitFor(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
