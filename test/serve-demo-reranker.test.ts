// The demo learns: `sift serve` on the job corpus, started in a fresh SIFT_HOME, serves at once while it
// trains the demo's reranker (sift-ce-jobs, the 'demo' preset on the committed job label set; capped here
// at 3 optimizer steps with --demo-train 3, so the run takes a minute, not the preset's quarter hour) on a
// worker thread; the page shows the progress and then says the reranker is the default; /v1/info and a
// reranked search name it as "default". A second start on the same home trains nothing and uses the
// installed model from the start. Real training (all-MiniLM-L6-v2's weights, real labels), real HTTP, real
// Chromium.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { homeBorrowing } from './lib/borrowed-home.js';
import { modelSkip } from './lib/model-skip.js';

const SIFT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'sift');
const CHROMIUM = '/usr/bin/chromium';
const BASE = 'all-minilm-l6-v2';

interface Served {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function serve(home: string): Promise<Served> {
  const child = spawn(
    process.execPath,
    [SIFT, 'serve', '--port', '0', '--demo-docs', '60', '--embedder', 'none', '--rankers', 'none'],
    {
      env: { ...process.env, SIFT_HOME: home, SIFT_SERVE_DEMO_TRAIN: '3', SIFT_SERVE_MODEL_THREADS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`sift serve exited ${code}: ${output}`)));
  });
  return { child, url, output: () => output, exited };
}

interface DemoStatus {
  id: string;
  state: string;
  step?: number;
  steps?: number;
  loss?: number;
  error?: string;
}

async function info(url: string): Promise<{ defaultRanker: string | null; demoReranker: DemoStatus | null }> {
  return (await (await fetch(new URL('/v1/info', url))).json()) as {
    defaultRanker: string | null;
    demoReranker: DemoStatus | null;
  };
}

async function stop(served: Served): Promise<void> {
  served.child.kill('SIGTERM');
  assert.equal(await served.exited, 0, served.output());
}

test('sift serve trains the demo reranker in the background, shows it on the page, then makes it the default', {
  skip: modelSkip(BASE) || (existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent; .ci/run installs it`),
  timeout: 600_000,
}, async () => {
  const home = await homeBorrowing([BASE], 'sift-demo-reranker-');
  try {
    const first = await serve(home);
    try {
      // The service answers while the reranker trains: "default" still names the built-in ranker.
      const early = await info(first.url);
      assert.equal(early.demoReranker?.id, 'sift-ce-jobs');
      // With no rankers to build at start, training begins as soon as the service listens.
      assert.ok(['waiting', 'training'].includes(early.demoReranker?.state ?? ''), first.output());
      assert.notEqual(early.defaultRanker, 'sift-ce-jobs');
      const search = await fetch(new URL('/v1/search', first.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'registered nurse', mode: 'bm25', k: 5 }),
      });
      assert.equal(search.status, 200, 'plain search works during training');

      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      try {
        const page = await browser.newPage();
        await page.goto(first.url);
        await page.waitForSelector('body[data-ready="true"]');
        const line = page.locator('#demo-text');
        assert.ok(await page.locator('#demo-reranker').isVisible(), 'the training line is shown');
        assert.match(
          (await line.textContent()) ?? '',
          /training sift-ce-jobs|preparing to train sift-ce-jobs/,
        );
        // The page polls; once trained and loaded, it says so and lists the model as the default.
        await page.waitForFunction(
          `document.getElementById('demo-text').textContent.includes('is the default reranker')`,
          undefined,
          { timeout: 480_000, polling: 1000 },
        );
        const options = await page.locator('#rerank option').allTextContents();
        assert.ok(options.includes('sift-ce-jobs (default)'), options.join(' | '));
        assert.equal(await page.locator('#demo-progress').isVisible(), false, 'no progress bar once done');
      } finally {
        await browser.close();
      }

      const done = await info(first.url);
      assert.equal(done.demoReranker?.state, 'ready');
      assert.equal(done.demoReranker?.step, 3, 'the last step reported is the cap');
      assert.equal(done.demoReranker?.steps, 3);
      assert.ok(Number.isFinite(done.demoReranker?.loss));
      assert.equal(done.defaultRanker, 'sift-ce-jobs');
      // A search reranked by "default" is scored by the trained model.
      const reranked = (await (
        await fetch(new URL('/v1/search', first.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: 'registered nurse',
            mode: 'bm25',
            k: 5,
            rerank: 'default',
            rerankDepth: 10,
          }),
        })
      ).json()) as { rerank?: { ranker: string; depth: number } };
      assert.equal(reranked.rerank?.ranker, 'sift-ce-jobs');
      assert.ok((reranked.rerank?.depth ?? 0) > 0);
    } finally {
      await stop(first);
    }

    // What was installed: the demo preset's card, on the committed job label set, 3 steps.
    const card = JSON.parse(
      await readFile(join(home, 'models', 'trained', 'sift-ce-jobs', 'sift-model.json'), 'utf8'),
    ) as { preset: string; createdAt: string; steps: number; data: { name: string }[] };
    assert.equal(card.preset, 'demo');
    assert.equal(card.steps, 3);
    assert.deepEqual(
      card.data.map((d) => d.name),
      ['jobs'],
    );

    // A second start trains nothing: the installed model is "default" from the start.
    const second = await serve(home);
    try {
      const again = await info(second.url);
      assert.ok(['loading', 'ready'].includes(again.demoReranker?.state ?? ''), JSON.stringify(again));
      for (let i = 0; i < 120 && (await info(second.url)).demoReranker?.state !== 'ready'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      assert.equal((await info(second.url)).defaultRanker, 'sift-ce-jobs');
      const cardAgain = JSON.parse(
        await readFile(join(home, 'models', 'trained', 'sift-ce-jobs', 'sift-model.json'), 'utf8'),
      ) as { createdAt: string };
      assert.equal(cardAgain.createdAt, card.createdAt, 'not trained again');
      assert.doesNotMatch(second.output(), /training from the committed job labels/);
    } finally {
      await stop(second);
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
