// Placing a pulled model: files copied from sibling models that pin the same bytes, and the assembled
// folder renamed into SIFT_HOME (beside its destination, so the rename is atomic on one filesystem).

import { copyFile, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SiftError } from '../errors.js';
import { isModelPresent, modelDir, sha256File } from './model-files.js';
import { isConcatMember, type PullSpec } from './registry.js';

/** Copies `name` from another pulled model that pins the same sha256 (e.g. the shared MiniLM tokenizer). */
export async function reuseSiblingFile(
  spec: PullSpec,
  name: string,
  staging: string,
  home: string,
  siblings: readonly PullSpec[],
): Promise<string | undefined> {
  const file = spec.files[name]!;
  if (isConcatMember(file)) return undefined;
  for (const sibling of siblings) {
    if (sibling.id === spec.id) continue;
    for (const [siblingName, siblingFile] of Object.entries(sibling.files)) {
      if (siblingFile.sha256 !== file.sha256) continue;
      const source = join(modelDir(sibling.id, home), siblingName);
      if (!(await stat(source).catch(() => undefined))?.isFile()) continue;
      const target = join(staging, name);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(source, target);
      if ((await sha256File(target)) === file.sha256) return sibling.id;
      await rm(target, { force: true });
    }
  }
  return undefined;
}

/** Renames the verified `staging` folder to `dir`, replacing a damaged one there in two renames. */
export async function moveIntoPlace(staging: string, dir: string, spec: PullSpec): Promise<void> {
  const existing = await stat(dir).catch(() => undefined);
  if (!existing) {
    try {
      await rename(staging, dir);
      return;
    } catch (error) {
      // Another process finished the same pull first; its folder is as good as ours.
      if (await isModelPresent(dir, spec)) return;
      throw new SiftError('E_IO', 'cannot move the pulled model into place', { file: dir }, { cause: error });
    }
  }
  // Replacing a damaged folder: move it aside first, so the swap is two renames and never a half-copy.
  const aside = await mkdtemp(join(dirname(dir), `.${spec.id}.old-`));
  await rename(dir, join(aside, 'model'));
  try {
    await rename(staging, dir);
  } catch (error) {
    await rename(join(aside, 'model'), dir).catch(() => {});
    throw new SiftError('E_IO', 'cannot move the pulled model into place', { file: dir }, { cause: error });
  } finally {
    await rm(aside, { recursive: true, force: true });
  }
}
