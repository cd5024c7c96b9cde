// Test support: the tiny formula-weight cross-encoder (tiny-cross-encoder.ts) installed as a trained model
// in a SIFT_HOME, for CLI tests of commands that take a trained ranker by id. It checks wiring and form,
// never quality.

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
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

/**
 * A fresh SIFT_HOME holding the tiny cross-encoder as `id`, made before a file's (or block's) tests and
 * removed after them; `made` receives the folder and the process environment with SIFT_HOME set.
 */
export function tinyCrossEncoderHome(
  id: string,
  made: (home: { home: string; env: NodeJS.ProcessEnv }) => void,
): void {
  let home = '';
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'sift-home-'));
    await installTinyCrossEncoder(home, id);
    made({ home, env: { ...process.env, SIFT_HOME: home } });
  });
  after(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });
}
