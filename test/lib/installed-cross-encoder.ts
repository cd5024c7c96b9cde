// Test support: the tiny formula-weight cross-encoder (tiny-cross-encoder.ts) installed as a trained model
// in a SIFT_HOME, for CLI tests of commands that take a trained ranker by id. It checks wiring and form,
// never quality.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { installTrainedModel } from '../../src/models/index.js';
import { writeTinyCrossEncoder } from './tiny-cross-encoder.js';

export async function installTinyCrossEncoder(home: string, id: string): Promise<void> {
  const folder = join(home, `${id}-folder`);
  await mkdir(folder, { recursive: true });
  await writeTinyCrossEncoder(folder);
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
