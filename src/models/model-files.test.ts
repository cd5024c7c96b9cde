// Tests for model folders: checking files against pinned hashes, and the `.verified.json` shortcut.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isSiftError } from '../errors.js';
import {
  isModelPresent,
  type ModelFilesSpec,
  modelDir,
  VERIFIED_MARKER,
  verifyModelDir,
} from './model-files.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

function specOf(files: Record<string, string>): ModelFilesSpec {
  const entries = Object.entries(files).map(([name, text]) => [
    name,
    { wheel: 'fake', path: name, sha256: sha(text), bytes: Buffer.byteLength(text) },
  ]);
  return { id: 'tiny', files: Object.fromEntries(entries) };
}

describe('verifyModelDir', () => {
  let dir: string;
  const files = { 'config.json': '{"hidden_size": 4}', '1_Pooling/config.json': '{"mean": true}' };
  const spec = specOf(files);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sift-model-files-'));
    await mkdir(join(dir, '1_Pooling'));
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts matching files and then trusts the marker until a file changes', async () => {
    const first = await verifyModelDir(dir, spec);
    assert.deepEqual(first.hashed.sort(), Object.keys(files).sort());
    const marker = JSON.parse(await readFile(join(dir, VERIFIED_MARKER), 'utf8'));
    assert.equal(marker.model, 'tiny');
    assert.deepEqual((await verifyModelDir(dir, spec)).hashed, []);
    assert.deepEqual((await verifyModelDir(dir, spec, { force: true })).hashed.length, 2);
    // Same size, new content and mtime: rehashed and caught.
    await writeFile(join(dir, 'config.json'), '{"hidden_size": 5}');
    await utimes(join(dir, 'config.json'), new Date(), new Date(Date.now() + 5000));
    await assert.rejects(verifyModelDir(dir, spec), (error) => {
      assert.ok(isSiftError(error, 'E_MODEL_HASH'));
      assert.equal(error.context.field, 'config.json');
      assert.equal(error.context.expected, sha(files['config.json']));
      assert.equal(error.context.actual, sha('{"hidden_size": 5}'));
      return true;
    });
  });

  it('names a missing file with E_MODEL_FILE', async () => {
    await unlink(join(dir, '1_Pooling/config.json'));
    await assert.rejects(verifyModelDir(dir, spec), (error) => {
      assert.ok(isSiftError(error, 'E_MODEL_FILE'));
      assert.equal(error.context.field, '1_Pooling/config.json');
      return true;
    });
    assert.equal(await isModelPresent(dir, spec), false);
  });

  it('ignores a marker written for other hashes', async () => {
    await verifyModelDir(dir, spec);
    const other = specOf({ ...files, 'config.json': '{"hidden_size": 9}' });
    await assert.rejects(verifyModelDir(dir, other), (error) => isSiftError(error, 'E_MODEL_HASH'));
  });
});

describe('modelDir', () => {
  it('puts models under SIFT_HOME/models/<id>', () => {
    assert.equal(modelDir('all-minilm-l6-v2', '/srv/sift'), '/srv/sift/models/all-minilm-l6-v2');
  });
});
