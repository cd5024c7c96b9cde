// What a caller can act on when it names the wrong model or variant: each refusal has its own code and
// names the option, before any model file is read (none is needed here).

import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isSiftError } from '../errors.js';
import { openDecoder } from './open-decoder.js';
import { openEmbedder, parseEmbedderRef } from './open-embedder.js';

test('a variant or width an embedder reference cannot have is E_MODEL_VARIANT', () => {
  for (const ref of ['all-minilm-l6-v2:fp16', 'all-minilm-l6-v2@0', 'all-minilm-l6-v2@wide']) {
    assert.throws(
      () => parseEmbedderRef(ref),
      (e) => isSiftError(e, 'E_MODEL_VARIANT') && e.context.field === 'embedder',
      ref,
    );
  }
  assert.deepEqual(parseEmbedderRef('nomic-embed-text-v1.5@256:int8'), {
    id: 'nomic-embed-text-v1.5',
    dtype: 'int8',
    dimension: 256,
  });
});

test('a model of another kind is E_MODEL_KIND, naming the option', async () => {
  const home = await mkdtemp(join(tmpdir(), 'sift-kind-'));
  await assert.rejects(
    openEmbedder('smollm2-135m-instruct-q4', { home, quiet: true }),
    (e) => isSiftError(e, 'E_MODEL_KIND') && e.context.field === 'embedder',
  );
  await assert.rejects(
    openDecoder('all-minilm-l6-v2', { home, quiet: true }),
    (e) => isSiftError(e, 'E_MODEL_KIND') && e.context.field === 'model',
  );
});
