// The web page in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core; CI
// installs it): type a query and see highlighted results with per-stage scores and timings, switch the
// mode, apply a filter, rerank, read the evaluation panel. A screenshot is saved to
// test-artifacts/serve-web.png.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startTestServer, tempHome } from './lib/serve-harness.js';

const CHROMIUM = '/usr/bin/chromium';
// dist/test/serve-web.test.js → <repo>/test-artifacts
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');

test('search page: type a query, see results, switch mode, apply a filter, rerank', {
  skip: existsSync(CHROMIUM)
    ? false
    : `${CHROMIUM} is absent (apt-get install -y chromium); .ci/run installs it`,
}, async () => {
  const server = await startTestServer(await tempHome(), { demoDocs: 80 });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]');
    const status = page.locator('#status');
    const results = page.locator('#results li');

    // Every control has a label (the page must work with a screen reader).
    const controls = page.locator('form select, form input');
    for (let i = 0; i < (await controls.count()); i++) {
      const id = await controls.nth(i).getAttribute('id');
      assert.ok(
        id && (await page.locator(`label[for="${id}"], label:has(#${id})`).count()) > 0,
        `label for #${id}`,
      );
    }

    // Type a query: hybrid is preselected when the index has vectors.
    assert.equal(await page.locator('#mode').inputValue(), 'hybrid');
    await page.locator('#q').fill('registered nurse');
    await page.locator('#q').press('Enter');
    await page.waitForFunction(
      `document.getElementById('status').textContent.includes('for “registered nurse” (hybrid)')`,
    );
    assert.equal(await results.count(), 10);
    assert.ok((await page.locator('#results mark').count()) > 0, 'query words are highlighted');
    const firstStages = await results.first().locator('.stages').textContent();
    assert.match(firstStages ?? '', /hybrid \d/);
    assert.match(
      (await page.locator('#timings').textContent()) ?? '',
      /embed [\d.]+ ms · retrieve [\d.]+ ms/,
    );

    // Switch mode: the query runs again in bm25.
    await page.locator('#mode').selectOption('bm25');
    await page.waitForFunction(`document.getElementById('status').textContent.includes('(bm25)')`);
    assert.match((await results.first().locator('.stages').textContent()) ?? '', /^bm25 \d/);

    // Apply a filter: every result has that seniority.
    const seniority = page.locator('#filter-seniority');
    const value = await seniority.locator('option').nth(1).getAttribute('value');
    assert.ok(value);
    await page.locator('#mode').selectOption('hybrid');
    await page.waitForFunction(`document.getElementById('status').textContent.includes('(hybrid)')`);
    const unfiltered = await page.locator('#results .meta').allTextContents();
    await seniority.selectOption(value);
    await page.waitForFunction(
      `[...document.querySelectorAll('#results .meta')].every((m) => m.textContent.includes(${JSON.stringify(value)})) && document.getElementById('status').textContent.includes('result')`,
    );
    const filtered = await page.locator('#results .meta').allTextContents();
    assert.ok(filtered.length > 0);
    assert.notDeepEqual(filtered, unfiltered);
    for (const meta of filtered) assert.ok(meta.includes(value), meta);

    // Rerank with a ranker from the list: scores gain a rerank stage.
    await page.locator('#rerank').selectOption('overlap');
    await page.waitForFunction(`document.querySelector('#results .stages')?.textContent.includes('rerank')`);
    assert.match((await page.locator('#timings').textContent()) ?? '', /rerank [\d.]+ ms/);

    // The evaluation panel shows the corpus's evaluation.
    const evaluation = await page.locator('#evaluation table tbody th').allTextContents();
    assert.deepEqual([...evaluation].sort(), ['bm25', 'dense', 'hybrid']);

    // A failing search is reported on the page, not swallowed.
    assert.match((await status.textContent()) ?? '', /results? for/);
    assert.deepEqual(pageErrors, []);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'serve-web.png'), fullPage: true });
  } finally {
    await browser.close();
    await server.close();
  }
});
