// kill -9 during `sift judge run`, then resume: the store's rows prove nothing was lost or duplicated.
//
// Both engines: the default judge (Qwen2.5-Coder-1.5B-Instruct on llama.cpp) and sift's own runtime
// (SmolLM2-135M-Instruct), each a second or more a pair, so the job is still running when it is
// killed. Needs the models in SIFT_HOME (.ci/run pulls them).

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { assertEveryPairLabelledOnce, count } from './lib/label-store-rows.js';
import { modelSkip } from './lib/model-skip.js';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const SHARED = resolve(process.env.SIFT_SHARED ?? '../shared');

for (const [judge, model] of [
  ['default', 'qwen2.5-coder-1.5b-instruct-q4'],
  ['local:smollm2-135m-instruct-q4', 'smollm2-135m-instruct-q4'],
] as const) {
  test(`SIGKILL mid-job (judge ${judge}) loses no written label, and the re-run labels each pair exactly once`, {
    skip: modelSkip(model),
  }, async () => {
    {
      const env = { ...process.env } as Record<string, string>;
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
          '2',
          '--per-query',
          '4',
          '--store',
          store,
          '--quiet',
        ],
        { env },
      );
      const pairs = count(store, 'SELECT count(*) AS n FROM pairs');
      assert.equal(pairs, 8);

      // One llama.cpp thread: test files run two at a time, and spinning threads on shared cores stall.
      const args = ['judge', 'run', '--store', store, '--judge', judge, '--threads', '1', '--quiet'];
      const child = spawn(SIFT, args, { env, stdio: 'ignore' });
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_code, signal) => resolve(signal)),
      );
      let before = 0;
      for (let waited = 0; before < 2 && waited < 300_000; waited += 50) {
        await sleep(50);
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

      const { stdout } = await run(SIFT, args, { env });
      assert.match(
        stdout,
        new RegExp(`${pairs - afterKill} labelled, 0 from cache, 0 failed of ${pairs - afterKill} pending`),
      );

      assertEveryPairLabelledOnce(store, pairs);
      // Labels written before the kill are untouched by the resumed job (it labelled only the missing pairs).
      assert.equal(count(store, 'SELECT count(DISTINCT job_id) AS n FROM labels'), afterKill > 0 ? 2 : 1);
      assert.equal(count(store, "SELECT count(*) AS n FROM jobs WHERE status = 'done'"), 1);
    }
  });
}
