// The web page in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core; CI
// installs it), at 1280 px and at 390 px (a phone): type a query and see highlighted results with
// per-stage scores and timings, switch the mode, apply a filter, rerank with a real model (SmolLM2-135M
// query likelihood, the smallest real ranker, at depth 2), see how deep it went, reload the URL and get
// the same search back, read the evaluation panel; nothing clipped or truncated at either width.
// Screenshots are saved to test-artifacts/serve-web-<width>.png.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { startTestServer, tempHome } from './lib/serve-harness.js';

const CHROMIUM = '/usr/bin/chromium';
// dist/test/serve-web.test.js → <repo>/test-artifacts
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');

/**
 * Layout faults on the page as it is now: sideways scrolling, clipped tables, truncated placeholders,
 * controls off the page. Runs in the page (a string: this package compiles without the DOM types).
 */
async function layoutFaults(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const faults = [];
    const root = document.documentElement;
    if (root.scrollWidth > window.innerWidth) faults.push('page scrolls sideways (' + root.scrollWidth + ' px)');
    for (const table of document.querySelectorAll('table')) {
      const box = table.parentElement;
      if (table.scrollWidth > box.clientWidth) faults.push('table clipped (' + table.scrollWidth + ' > ' + box.clientWidth + ')');
    }
    const canvas = document.createElement('canvas').getContext('2d');
    for (const input of document.querySelectorAll('input[placeholder]')) {
      const style = getComputedStyle(input);
      canvas.font = style.fontWeight + ' ' + style.fontSize + ' ' + style.fontFamily;
      const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const need = canvas.measureText(input.placeholder).width;
      if (need > room) faults.push('#' + input.id + ' placeholder "' + input.placeholder + '" truncated (' + need + ' > ' + room + ')');
    }
    for (const control of document.querySelectorAll('form select, form input, form button')) {
      if (control.getBoundingClientRect().right > window.innerWidth + 0.5) faults.push('#' + control.id + ' runs off the page');
    }
    return faults;
  })()`);
}

test('search page: type a query, see results, switch mode, apply a filter, rerank with a real model', {
  skip: existsSync(CHROMIUM)
    ? false
    : `${CHROMIUM} is absent (apt-get install -y chromium); .ci/run installs it`,
}, async () => {
  // sift's own rankers (no test ranker module): the smallest real one, built at start.
  const server = await startTestServer(await tempHome(), {
    demoDocs: 80,
    rankerModule: undefined,
    rankers: 'smollm2-135m-qlik',
    rerankBudgetMs: 30_000,
    // The machine may be shared: a slow ranker must not turn into a timeout here.
    requestTimeoutMs: 60_000,
  });
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

    // Fields have human labels.
    const labels = await page.locator('#filters label').allTextContents();
    assert.ok(
      labels.some((l) => l.startsWith('Employment type')),
      labels.join(' | '),
    );
    assert.ok(
      labels.some((l) => l.startsWith('Posted within N days')),
      labels.join(' | '),
    );

    // One entry per ranker: no "default" alias, the default one is marked.
    const rankers: Array<[string, string]> = await page.evaluate(
      `[...document.querySelectorAll('#rerank option')].map((o) => [o.value, o.textContent])`,
    );
    const values = rankers.map(([value]) => value);
    assert.equal(new Set(values).size, values.length);
    assert.ok(!values.includes('default'));
    assert.ok(rankers.some(([value, text]) => value === 'smollm2-135m-qlik' && text.includes('default')));

    // Rerank with the real ranker at depth 2: scores gain a rerank stage, and the page says how deep.
    await page.locator('#depth').fill('2');
    await page.locator('#rerank').selectOption('smollm2-135m-qlik');
    await page.waitForFunction(
      `document.querySelector('#results .stages')?.textContent.includes('rerank')`,
      null,
      {
        timeout: 60_000,
      },
    );
    assert.match((await page.locator('#timings').textContent()) ?? '', /rerank [\d.]+ ms/);
    assert.match(
      (await page.locator('#rerank-line').textContent()) ?? '',
      /^reranked by smollm2-135m-qlik, depth 2, in \d+ ms/,
    );
    assert.equal(await results.locator('.stages', { hasText: 'rerank' }).count(), 2);

    // The whole query state is in the URL: reloading it gives the same search back.
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('rerank'), 'smollm2-135m-qlik');
    assert.equal(url.searchParams.get('depth'), '2');
    assert.equal(url.searchParams.get('f.seniority'), value);
    const shown = await results.locator('.title').allTextContents();
    await page.goto(url.href);
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.locator('#rerank').inputValue(), 'smollm2-135m-qlik');
    assert.equal(await page.locator('#depth').inputValue(), '2');
    assert.equal(await page.locator('#filter-seniority').inputValue(), value);
    await page.waitForFunction(
      `document.getElementById('rerank-line').textContent.includes('depth 2')`,
      null,
      {
        timeout: 60_000,
      },
    );
    assert.deepEqual(await results.locator('.title').allTextContents(), shown);

    // The evaluation panel shows the corpus's evaluation (a loading state until it arrives).
    assert.match((await (await fetch(server.url)).text()) ?? '', /loading evaluation…/);
    const evaluation = await page.locator('#evaluation table tbody th').allTextContents();
    assert.deepEqual([...evaluation].sort(), ['bm25', 'dense', 'hybrid']);

    // A failing search is reported on the page, not swallowed.
    assert.match((await status.textContent()) ?? '', /results? for/);
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(await layoutFaults(page), []);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'serve-web-1280.png'), fullPage: true });

    // A phone: the same search from its URL, laid out in one column with nothing cut off.
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    const phoneErrors: string[] = [];
    phone.on('pageerror', (error) => phoneErrors.push(error.message));
    await phone.goto(url.href);
    await phone.waitForSelector('body[data-ready="true"]');
    await phone.waitForFunction(
      `document.getElementById('rerank-line').textContent.includes('depth 2')`,
      null,
      {
        timeout: 60_000,
      },
    );
    await phone.waitForSelector('#evaluation table');
    assert.deepEqual(await layoutFaults(phone), []);
    assert.deepEqual(phoneErrors, []);
    await phone.screenshot({ path: join(ARTIFACTS, 'serve-web-390.png'), fullPage: true });
  } finally {
    await browser.close();
    await server.close();
  }
});
