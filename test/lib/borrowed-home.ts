// A fresh SIFT_HOME for a CLI test that borrows pulled models from the real one (symbolic links, nothing
// copied), so nothing the test trains, indexes or installs reaches the real SIFT_HOME.

import { mkdir, mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { siftPaths } from '../../src/util/index.js';

export async function homeBorrowing(models: readonly string[], prefix = 'sift-home-'): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(join(home, 'models'));
  for (const model of models) await symlink(join(siftPaths().models, model), join(home, 'models', model));
  return home;
}
