// The sha256 of a file, streamed (model weights run to hundreds of MB), as lowercase hex.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { SiftError } from '../errors.js';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
      hash.update(chunk as Buffer);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SiftError('E_FILE_NOT_FOUND', 'file does not exist', { file: path }, { cause: error });
    }
    throw new SiftError('E_IO', 'cannot read file', { file: path }, { cause: error });
  }
  return hash.digest('hex');
}
