import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SiftError } from '../errors.js';
import { sha256File, siftPaths, writeFileAtomic } from '../util/index.js';
import type { ModelSpec } from './registry.js';

export const VERIFIED_MARKER = '.verified.json';
const MARKER_FORMAT = 1;

/** What verification needs of a spec; tests pass small hand-made specs. */
export type ModelFilesSpec = Pick<ModelSpec, 'id' | 'files'>;

interface MarkerEntry {
  sha256: string;
  bytes: number;
  mtimeMs: number;
}

interface Marker {
  format: number;
  model: string;
  files: Record<string, MarkerEntry>;
}

/** The folder of a model: `<SIFT_HOME>/models/<id>`. */
export function modelDir(id: string, home: string = siftPaths().home): string {
  return join(home, 'models', id);
}

export interface VerifyOptions {
  /** Rehash every file even when the marker says it is unchanged. */
  force?: boolean;
}

export interface VerifyResult {
  dir: string;
  /** Files whose hash was computed this time (the rest were trusted from the marker). */
  hashed: string[];
}

/**
 * Checks that every pinned file of `spec` is in `dir` with its pinned sha256.
 * Throws E_MODEL_FILE naming the first missing file, or E_MODEL_HASH naming the file, expected and actual hash.
 */
export async function verifyModelDir(
  dir: string,
  spec: ModelFilesSpec,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const names = Object.keys(spec.files);
  // Stat everything first so a missing file is reported before minutes of hashing.
  const stats = new Map<string, { bytes: number; mtimeMs: number }>();
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile())
      throw new SiftError('E_MODEL_FILE', `model "${spec.id}" lacks file "${name}"`, {
        file: path,
        field: name,
      });
    stats.set(name, { bytes: info.size, mtimeMs: info.mtimeMs });
  }

  const marker = options.force ? undefined : await readMarker(dir, spec.id);
  const entries: Record<string, MarkerEntry> = {};
  const hashed: string[] = [];
  for (const name of names) {
    const pinned = spec.files[name]!;
    const now = stats.get(name)!;
    const known = marker?.files[name];
    if (
      known &&
      known.sha256 === pinned.sha256 &&
      known.bytes === now.bytes &&
      known.mtimeMs === now.mtimeMs
    ) {
      entries[name] = known;
      continue;
    }
    const path = join(dir, name);
    const actual = await sha256File(path);
    hashed.push(name);
    if (actual !== pinned.sha256) throw hashMismatch(spec.id, name, path, pinned.sha256, actual, now.bytes);
    entries[name] = { sha256: actual, bytes: now.bytes, mtimeMs: now.mtimeMs };
  }

  if (hashed.length > 0) await writeMarker(dir, { format: MARKER_FORMAT, model: spec.id, files: entries });
  return { dir, hashed };
}

/** Whether `dir` holds a complete, verified copy of the model (no throw; hashes changed files). */
export async function isModelPresent(dir: string, spec: ModelFilesSpec): Promise<boolean> {
  try {
    await verifyModelDir(dir, spec);
    return true;
  } catch (error) {
    if (error instanceof SiftError && (error.code === 'E_MODEL_FILE' || error.code === 'E_MODEL_HASH'))
      return false;
    throw error;
  }
}

export function hashMismatch(
  id: string,
  name: string,
  path: string,
  expected: string,
  actual: string,
  bytes?: number,
): SiftError {
  const size = bytes === undefined ? '' : ` (${bytes} bytes)`;
  return new SiftError(
    'E_MODEL_HASH',
    `model "${id}" file "${name}" has sha256 ${actual}${size}, expected ${expected}`,
    { file: path, field: name, expected, actual },
  );
}

async function readMarker(dir: string, id: string): Promise<Marker | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, VERIFIED_MARKER), 'utf8')) as Partial<Marker>;
    if (parsed.format !== MARKER_FORMAT || parsed.model !== id || typeof parsed.files !== 'object')
      return undefined;
    return parsed as Marker;
  } catch {
    // A missing or unreadable marker only costs a rehash.
    return undefined;
  }
}

async function writeMarker(dir: string, marker: Marker): Promise<void> {
  try {
    await writeFileAtomic(join(dir, VERIFIED_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
  } catch {
    // A read-only SIFT_HOME still holds a valid model; it is just rehashed on each load.
  }
}

/** Re-exported for callers that verify model files by hand. */
export { sha256File };
