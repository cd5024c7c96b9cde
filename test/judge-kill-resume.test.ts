// kill -9 during `sift judge run`, then resume: the store's rows prove nothing was lost or duplicated.
//
// SCRIPTED BACKEND: the judge is sift's chat server on loopback over the test-only scripted backend with
// a 50 ms delay per answer (so the job is still running when it is killed). The lead switches this test
// to sift's local model when it lands.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { startChatServer } from '../src/judge/chat-server.js';
import { createScriptedBackend } from '../src/judge/scripted-backend.js';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const SHARED = resolve(process.env.SIFT_SHARED ?? '../shared');

function count(store: string, sql: string): number {
  const db = new Database(store, { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

test('SCRIPTED BACKEND: SIGKILL mid-job loses no written label, and the re-run labels each pair exactly once', async () => {
  const backend = createScriptedBackend({ delayMs: 50 });
  const server = await startChatServer(backend);
  try {
    const env = { ...process.env, SIFT_HOME: await mkdtemp(join(tmpdir(), 'sift-home-')) } as Record<
      string,
      string
    >;
    const store = join(await mkdtemp(join(tmpdir(), 'sift-kill-')), 'labels.sqlite');
    const folder = join(SHARED, 'data', 'cranfield');
    await run(
      SIFT,
      [
        'judge',
        'sample',
        '--collection',
        folder,
        '--queries',
        '6',
        '--per-query',
        '10',
        '--store',
        store,
        '--quiet',
      ],
      { env },
    );
    const pairs = count(store, 'SELECT count(*) AS n FROM pairs');
    assert.equal(pairs, 60);

    const args = ['judge', 'run', '--store', store, '--judge', server.url, '--concurrency', '2', '--quiet'];
    const child = spawn(SIFT, args, { env, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    let before = 0;
    for (let waited = 0; before < 10 && waited < 60_000; waited += 20) {
      await sleep(20);
      before = count(store, 'SELECT count(*) AS n FROM labels');
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const afterKill = count(store, 'SELECT count(*) AS n FROM labels');
    assert.ok(afterKill >= before, 'every label seen before the kill is still there');
    assert.ok(afterKill < pairs, `the job was killed before it finished (${afterKill} of ${pairs})`);
    assert.equal(
      count(store, "SELECT count(*) AS n FROM jobs WHERE status = 'running'"),
      1,
      'the killed job never finished',
    );
    const callsBeforeResume = backend.calls;

    const { stdout } = await run(SIFT, args, { env });
    assert.match(
      stdout,
      new RegExp(`${pairs - afterKill} labelled, 0 from cache, 0 failed of ${pairs - afterKill} pending`),
    );

    assert.equal(count(store, 'SELECT count(*) AS n FROM labels'), pairs, 'one label row per pair');
    assert.equal(
      count(store, 'SELECT count(DISTINCT pair_id) AS n FROM labels'),
      pairs,
      'no pair labelled twice',
    );
    assert.equal(
      count(
        store,
        'SELECT count(*) AS n FROM pairs p WHERE NOT EXISTS (SELECT 1 FROM labels l WHERE l.pair_id = p.id)',
      ),
      0,
      'no pair lost',
    );
    assert.equal(count(store, 'SELECT count(*) AS n FROM failures'), 0);
    // The resumed job asked the judge only about pairs without a label.
    assert.equal(backend.calls - callsBeforeResume, pairs - afterKill);
    // At most the two calls in flight at the kill were answered but never written.
    assert.ok(callsBeforeResume - afterKill <= 2, `${callsBeforeResume} calls for ${afterKill} labels`);
    assert.equal(count(store, "SELECT count(*) AS n FROM jobs WHERE status = 'done'"), 1);
  } finally {
    await server.close();
  }
});
