// Test support: a tiny random BERT cross-encoder (2 layers, hidden 16, the real WordPiece vocabulary)
// installed as a trained model in a SIFT_HOME, for CLI tests of commands that take a trained ranker by id.
// Random weights: for wiring and form, never for quality.

import { join } from 'node:path';
import { bertWeights, installTrainedModel, readBertConfig, readSafetensors } from '../../src/models/index.js';
import { CrossEncoderModel, writeModelFolder } from '../../src/train/index.js';
import { writeTinyBert } from '../../src/train/tiny-bert.fixture.js';
import { Mulberry32 } from '../../src/util/index.js';

export async function installTinyCrossEncoder(home: string, id: string, seed = 4): Promise<void> {
  const tiny = join(home, `${id}-base`);
  await writeTinyBert(tiny, seed);
  const { config, text } = await readBertConfig(tiny);
  const weights = bertWeights(await readSafetensors(join(tiny, 'model.safetensors')), config);
  const model = CrossEncoderModel.fromWeights(weights, config, { labels: 1, rng: new Mulberry32(seed + 1) });
  const folder = join(home, `${id}-folder`);
  await writeModelFolder(folder, { params: model.parameters(), config: text, tokenizerDir: tiny });
  await installTrainedModel(
    folder,
    {
      version: 1,
      id,
      kind: 'cross-encoder',
      preset: 'custom',
      base: 'tiny',
      createdAt: new Date().toISOString(),
      settings: { maxLength: 64 },
    },
    home,
  );
}
