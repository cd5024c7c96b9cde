import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isSiftError } from '../errors.js';
import { installTrainedModel } from '../models/index.js';
import { DEFAULT_RANKER, listRankers, resolveRanker } from './index.js';

test('resolveRanker names the id openRanker would report, without opening a model', () => {
  assert.equal(resolveRanker('default'), DEFAULT_RANKER);
  assert.equal(resolveRanker('smollm2-135m-yesno'), 'smollm2-135m-yesno');
  assert.equal(resolveRanker('smollm2-135m-yesno:fp32'), 'smollm2-135m-yesno');
  assert.equal(resolveRanker('smollm2-135m-qlik:int8'), 'smollm2-135m-qlik:int8');
  assert.throws(
    () => resolveRanker('no-such-ranker'),
    (error) => isSiftError(error, 'E_RANKER_UNKNOWN'),
  );
  assert.throws(
    () => resolveRanker('smollm2-135m-qlik:int4'),
    (error) => isSiftError(error, 'E_RANKER_UNKNOWN'),
  );
});

test('trained cross-encoders resolve by id once installed; before, the error names the command', async () => {
  const saved = process.env.SIFT_HOME;
  process.env.SIFT_HOME = await mkdtemp(join(tmpdir(), 'sift-home-'));
  try {
    for (const ref of ['sift-ce-minilm-l6', 'sift-ce-minilm-l6:int8']) {
      assert.throws(
        () => resolveRanker(ref),
        (error) =>
          isSiftError(error, 'E_MODEL_NOT_TRAINED') && /sift train --preset default/.test(error.message),
      );
    }
    assert.ok(!listRankers().includes('sift-ce-minilm-l6'));
    const checkpoint = await mkdtemp(join(tmpdir(), 'sift-ckpt-'));
    await writeFile(join(checkpoint, 'config.json'), '{}');
    await writeFile(join(checkpoint, 'model.safetensors'), '');
    await installTrainedModel(checkpoint, {
      version: 1,
      id: 'sift-ce-minilm-l6',
      kind: 'cross-encoder',
      preset: 'default',
      base: 'all-minilm-l6-v2',
      createdAt: new Date(0).toISOString(),
    });
    assert.equal(resolveRanker('sift-ce-minilm-l6'), 'sift-ce-minilm-l6');
    assert.equal(resolveRanker('sift-ce-minilm-l6:int8'), 'sift-ce-minilm-l6:int8');
    assert.equal(resolveRanker('sift-ce-minilm-l6:fp32'), 'sift-ce-minilm-l6');
    assert.ok(listRankers().includes('sift-ce-minilm-l6'));
  } finally {
    if (saved === undefined) delete process.env.SIFT_HOME;
    else process.env.SIFT_HOME = saved;
  }
});
