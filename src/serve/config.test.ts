import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isSiftError } from '../errors.js';
import { resolveServeConfig } from './config.js';

test('flags win over the environment, which wins over the config file, which wins over defaults', async () => {
  const home = await mkdtemp(join(tmpdir(), 'sift-config-'));
  await writeFile(
    join(home, 'serve.json'),
    JSON.stringify({ port: 7001, host: '0.0.0.0', maxBatch: 8, workers: 2 }),
  );
  const env = { SIFT_HOME: home, SIFT_SERVE_PORT: '7002', SIFT_SERVE_MAX_BATCH: '16' };
  const config = await resolveServeConfig({ flags: { port: '7003' }, env });
  assert.equal(config.port, 7003, 'flag');
  assert.equal(config.maxBatch, 16, 'environment');
  assert.equal(config.host, '0.0.0.0', 'config file');
  assert.equal(config.workers, 2, 'config file');
  assert.equal(config.maxWaitMs, 2, 'default');
  assert.equal(config.index, undefined);
});

test('bad values name where they came from; a named config file must exist and hold known options', async () => {
  const home = await mkdtemp(join(tmpdir(), 'sift-config-'));
  await assert.rejects(
    resolveServeConfig({ env: { SIFT_HOME: home, SIFT_SERVE_PORT: 'eighty' } }),
    (error) => isSiftError(error, 'E_BAD_ARGUMENT') && error.message.includes('SIFT_SERVE_PORT'),
  );
  await assert.rejects(
    resolveServeConfig({ flags: { maxBatch: '0' }, env: { SIFT_HOME: home } }),
    (error) => isSiftError(error, 'E_BAD_ARGUMENT') && error.message.includes('--max-batch'),
  );
  await assert.rejects(
    resolveServeConfig({ flags: { rankNice: '20' }, env: { SIFT_HOME: home } }),
    (error) => isSiftError(error, 'E_BAD_ARGUMENT') && error.message.includes('--rank-nice'),
  );
  assert.equal((await resolveServeConfig({ env: { SIFT_HOME: home } })).rankNice, 19, 'default');
  await assert.rejects(
    resolveServeConfig({ env: { SIFT_HOME: home }, configFile: join(home, 'nope.json') }),
    (error) => isSiftError(error, 'E_FILE_NOT_FOUND'),
  );
  const file = join(home, 'typo.json');
  await writeFile(file, JSON.stringify({ prot: 1 }));
  await assert.rejects(
    resolveServeConfig({ env: { SIFT_HOME: home }, configFile: file }),
    (error) => isSiftError(error, 'E_CONFIG_FILE') && error.message.includes('prot'),
  );
});

test("--demo-train takes 'all', 'off' or a number of steps, and says which when it gets anything else", async () => {
  const home = await mkdtemp(join(tmpdir(), 'sift-config-'));
  const env = { SIFT_HOME: home };
  assert.equal((await resolveServeConfig({ env })).demoTrain, 'all', 'default');
  assert.equal((await resolveServeConfig({ flags: { demoTrain: 'off' }, env })).demoTrain, 'off');
  assert.equal((await resolveServeConfig({ env: { ...env, SIFT_SERVE_DEMO_TRAIN: '40' } })).demoTrain, 40);
  for (const bad of ['0', 'some', '2.5']) {
    await assert.rejects(
      resolveServeConfig({ flags: { demoTrain: bad }, env }),
      (error) =>
        isSiftError(error, 'E_BAD_ARGUMENT') &&
        error.message.includes('--demo-train') &&
        error.message.includes('"all", "off"'),
      bad,
    );
  }
});
