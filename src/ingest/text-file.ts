// Opening UTF-8 text files for streaming (gzip-compressed ones, named *.gz, too), and reading them line
// by line, with file errors as SiftErrors.

import { type FileHandle, open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { SiftError } from '../errors.js';

/** One physical line of a text file, without its line break; `line` counts from 1. */
export interface TextLine {
  text: string;
  line: number;
}

/**
 * Opens a file as a UTF-8 stream. Opening first (rather than letting createReadStream fail later)
 * turns a missing file into E_FILE_NOT_FOUND before any record is read. A path ending in .gz is
 * decompressed on the way; a corrupt one fails the read with E_IO naming the file.
 */
export async function openTextFile(path: string): Promise<Readable> {
  let handle: FileHandle;
  let isFolder: boolean;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fileError(error, path);
  }
  try {
    isFolder = (await handle.stat()).isDirectory();
  } catch (error) {
    await handle.close();
    throw fileError(error, path);
  }
  if (isFolder) {
    await handle.close();
    throw new SiftError('E_PATH_KIND', 'is a folder, not a file', { file: path });
  }
  // The stream owns the handle from here on and closes it when it ends or is destroyed.
  if (!path.endsWith('.gz')) return handle.createReadStream({ encoding: 'utf8' });
  const raw = handle.createReadStream();
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  gunzip.on('close', () => raw.destroy());
  gunzip.setEncoding('utf8');
  return raw.pipe(gunzip);
}

/** Throws E_FILE_NOT_FOUND when `path` does not exist, E_PATH_KIND when it is a folder. */
export async function assertFile(path: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch (error) {
    throw fileError(error, path);
  }
  if (isFolder) throw new SiftError('E_PATH_KIND', 'is a folder, not a file', { file: path });
}

/**
 * Streams a text file's lines. CRLF and LF both end a line; a UTF-8 byte order mark is dropped,
 * since spreadsheet exports often start with one and it would otherwise stick to the first field.
 */
export async function* readLines(path: string): AsyncGenerator<TextLine> {
  const stream = await openTextFile(path);
  const reader = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  const lines = reader[Symbol.asyncIterator]();
  let line = 0;
  try {
    while (true) {
      let next: IteratorResult<string>;
      try {
        next = await lines.next();
      } catch (error) {
        throw fileError(error, path);
      }
      if (next.done) return;
      line += 1;
      yield { text: line === 1 ? stripBom(next.value) : next.value, line };
    }
  } finally {
    reader.close();
    stream.destroy();
  }
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Maps a Node file-system error to a SiftError naming the file; SiftErrors pass through unchanged. */
export function fileError(error: unknown, path: string): SiftError {
  if (error instanceof SiftError) return error;
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new SiftError('E_FILE_NOT_FOUND', 'no such file or folder', { file: path }, { cause: error });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new SiftError('E_IO', `cannot read: ${reason}`, { file: path }, { cause: error });
}
