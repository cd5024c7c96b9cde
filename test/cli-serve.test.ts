// `sift serve` as a user runs it: the command builds the default corpus, prints the URL on stdout,
// serves, and exits cleanly on SIGTERM; settings come from flags over environment over a config file.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempHome } from './lib/serve-harness.js';

const SIFT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'sift');

test('sift serve prints its URL, answers /healthz and shuts down cleanly on SIGTERM', async () => {
  const home = await tempHome();
  // The config file asks for 30 postings and no embedder; the environment picks the port (0 = any free).
  await writeFile(
    join(home, 'serve.json'),
    JSON.stringify({ demoDocs: 30, embedder: 'none', port: 1, rankers: 'none', demoTrain: 'off' }),
  );
  const child = spawn(process.execPath, [SIFT, 'serve', '--host', '127.0.0.1'], {
    env: { ...process.env, SIFT_HOME: home, SIFT_SERVE_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`sift serve exited ${code}: ${stderr}`)));
  });
  const health = (await (await fetch(new URL('/healthz', url))).json()) as { index: string; modes: string[] };
  assert.equal(health.index, 'jobs-2026-30');
  assert.deepEqual(health.modes, ['bm25']);
  assert.match(stderr, /indexing jobs-2026-30/, 'progress is shown while the corpus is built');
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
