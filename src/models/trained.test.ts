import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isSiftError } from '../errors.js';
import {
  checkTrainedModelId,
  installedTrainedIds,
  installedTrainedModel,
  installTrainedModel,
  listTrainedModels,
  readTrainedModel,
  type TrainedModelCard,
} from './trained.js';

async function checkpoint(weights: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sift-ckpt-'));
  await writeFile(join(dir, 'config.json'), '{"model_type":"bert"}');
  await writeFile(join(dir, 'model.safetensors'), weights);
  await writeFile(join(dir, 'optimizer.safetensors'), 'moments');
  await writeFile(join(dir, 'trainer-state.json'), '{}');
  return dir;
}

const card = (id: string, preset = 'default'): TrainedModelCard => ({
  version: 1,
  id,
  kind: 'cross-encoder',
  preset,
  base: 'all-minilm-l6-v2',
  createdAt: new Date(0).toISOString(),
});

describe('trained models', () => {
  it('installs a checkpoint as a model folder with its card, without optimizer state', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sift-home-'));
    assert.equal(installedTrainedModel('my-ce', home), undefined);
    const folder = await installTrainedModel(await checkpoint('v1'), card('my-ce'), home);
    assert.equal(installedTrainedModel('my-ce', home), folder);
    assert.deepEqual((await readdir(folder)).sort(), ['config.json', 'model.safetensors', 'sift-model.json']);
    assert.equal((await readTrainedModel('my-ce', home))?.preset, 'default');
    assert.deepEqual(installedTrainedIds(home), ['my-ce']);
    assert.deepEqual(
      (await listTrainedModels(home)).map((c) => c.id),
      ['my-ce'],
    );
  });

  it('replaces an installed model by swapping a link, and removes the old folder', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sift-home-'));
    const folder = await installTrainedModel(await checkpoint('v1'), card('my-ce'), home);
    const first = await readlink(folder);
    await installTrainedModel(await checkpoint('v2'), card('my-ce', 'custom'), home);
    assert.notEqual(await readlink(folder), first);
    assert.equal(await readFile(join(folder, 'model.safetensors'), 'utf8'), 'v2');
    assert.equal((await readTrainedModel('my-ce', home))?.preset, 'custom');
    const left = await readdir(join(home, 'models', 'trained'));
    assert.equal(left.length, 2, `one link and one folder, not ${left.join(', ')}`);
  });

  it('installs a copy of an installed model (through its link) that outlives the original', async () => {
    const home = await mkdtemp(join(tmpdir(), 'sift-home-'));
    const original = await installTrainedModel(await checkpoint('v1'), card('first'), home);
    const copy = await installTrainedModel(original, card('second'), home);
    await installTrainedModel(await checkpoint('v2'), card('first'), home);
    assert.equal(await readFile(join(copy, 'model.safetensors'), 'utf8'), 'v1');
    assert.equal((await readTrainedModel('second', home))?.id, 'second');
  });

  it('refuses ids that are not plain folder names, and cards that do not match', async () => {
    for (const bad of ['', '../x', 'A', 'a/b', '.hidden', 'x'.repeat(65)]) {
      assert.throws(
        () => checkTrainedModelId(bad),
        (error) => isSiftError(error, 'E_BAD_ARGUMENT'),
      );
    }
    const home = await mkdtemp(join(tmpdir(), 'sift-home-'));
    const dir = join(home, 'models', 'trained', 'odd');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'sift-model.json'), JSON.stringify({ ...card('other') }));
    await assert.rejects(
      () => readTrainedModel('odd', home),
      (error) => isSiftError(error, 'E_MODEL_LOAD'),
    );
    await writeFile(join(dir, 'sift-model.json'), '{not json');
    await assert.rejects(
      () => readTrainedModel('odd', home),
      (error) => isSiftError(error, 'E_MODEL_LOAD'),
    );
  });
});
