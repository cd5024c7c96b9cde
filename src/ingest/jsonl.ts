// Streaming JSON Lines reader: one parsed value per non-blank line, bad lines raised as E_BAD_JSONL.

import { SiftError } from '../errors.js';
import { checkReadOptions, countRead, skipOrThrow } from './bad-records.js';
import { readLines } from './text-file.js';
import type { ReadOptions } from './types.js';

/** One parsed line; `line` is the physical line number (from 1, blank lines included) for error messages. */
export interface JsonLine {
  value: unknown;
  line: number;
}

/**
 * Yields the parsed value of each non-blank line. Blank lines (whitespace only) are skipped without
 * counting as bad, since editors and `cat` often leave them; unparsable lines follow `onBadRecord`.
 * `stats.read` counts the values yielded.
 */
export async function* readJsonLines(path: string, options: ReadOptions = {}): AsyncGenerator<JsonLine> {
  checkReadOptions(options);
  for await (const record of parseJsonLines(path, options)) {
    countRead(options);
    yield record;
  }
}

/**
 * readJsonLines without counting reads, for record readers that validate each value further and
 * count only the records that pass. Not part of the public face.
 */
export async function* parseJsonLines(path: string, options: ReadOptions): AsyncGenerator<JsonLine> {
  for await (const { text, line } of readLines(path)) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = parseLine(text, path, line);
    } catch (error) {
      skipOrThrow(error, options);
      continue;
    }
    yield { value, line };
  }
}

function parseLine(text: string, file: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SiftError('E_BAD_JSONL', `invalid JSON: ${reason}`, { file, line }, { cause: error });
  }
}
