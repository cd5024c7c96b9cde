// Atomic file writes: write a temp file beside the target, fsync it, then rename over the target,
// so a reader sees either the old file or the new one, never half of either (even after a crash).

import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SiftError } from '../errors.js';

export async function writeFileAtomic(
  path: string,
  chunks: Uint8Array | string | Array<Uint8Array | string>,
): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const parts = Array.isArray(chunks) ? chunks : [chunks];
  try {
    const handle = await open(temp, 'w');
    try {
      for (const part of parts)
        await handle.write(typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    const detail =
      code === 'ENOSPC'
        ? 'disk is full; the previous version is untouched'
        : `cannot write (${code ?? 'error'})`;
    throw new SiftError('E_IO', detail, { file: path }, { cause: error });
  }
}
