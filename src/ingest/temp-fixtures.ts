// Tiny temporary fixture files and assertion helpers for this folder's tests (not part of the public face).

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type ErrorCode, type ErrorContext, SiftError } from '../errors.js';

/** A fresh temporary folder; `write` creates a file under it (making subfolders) and returns its path. */
export interface FixtureFolder {
  dir: string;
  write(name: string, content: string): Promise<string>;
  remove(): Promise<void>;
}

export async function createFixtureFolder(): Promise<FixtureFolder> {
  const dir = await mkdtemp(join(tmpdir(), 'sift-ingest-'));
  return {
    dir,
    async write(name, content) {
      const path = join(dir, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content, 'utf8');
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Asserts that `action` rejects with a SiftError of `code` whose context includes `context`. */
export async function rejectsWithCode(
  action: () => Promise<unknown>,
  code: ErrorCode,
  context: ErrorContext = {},
): Promise<SiftError> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof SiftError, `expected a SiftError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const [key, value] of Object.entries(context)) {
    assert.deepEqual(caught.context[key], value, `context.${key} of: ${caught.message}`);
  }
  return caught;
}
