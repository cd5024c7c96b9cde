// Streams a text file line by line, turning open and read failures into SiftErrors that name the file.

import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { SiftError } from '../errors.js';

export interface NumberedLine {
  /** The line without its terminator (`\n` or `\r\n`); a leading byte-order mark is dropped from line 1. */
  text: string;
  /** 1-based, counting every physical line, blank ones included, so error positions match an editor's. */
  line: number;
}

/** Yields every line of `path` in order; memory stays flat however large the file is. */
export async function* readLines(path: string): AsyncGenerator<NumberedLine> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  try {
    await once(stream, 'open');
  } catch (error) {
    throw ioError(path, error, 'open');
  }
  const reader = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const raw of reader) {
      line += 1;
      const text = line === 1 && raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
      yield { text, line };
    }
  } catch (error) {
    if (error instanceof SiftError) throw error;
    throw ioError(path, error, 'read');
  } finally {
    // A consumer that stops early (e.g. a malformed line) must not leak the file descriptor.
    reader.close();
    stream.destroy();
  }
}

function ioError(path: string, error: unknown, verb: string): SiftError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') {
    return new SiftError('E_FILE_NOT_FOUND', 'no such file', { file: path }, { cause: error });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new SiftError('E_IO', `cannot ${verb} file: ${reason}`, { file: path }, { cause: error });
}
