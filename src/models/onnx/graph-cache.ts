// Caches built ONNX graphs beside the model they were built from, so later loads skip building.
//
// The file name carries a hash of everything the graph depends on (builder version, config, options,
// the weights file's size and mtime), so a changed input simply misses the cache; the old file stays
// until someone deletes it. Writes are atomic, and a read-only model folder just means no cache.

import { createHash } from 'node:crypto';
import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createSession, type Session, type SessionOptions } from '../../runtime/ort.js';
import { writeFileAtomic } from '../../util/atomic-write.js';

export interface CachedGraph {
  /** The cached file's path (when it exists or was just written), else the built bytes. */
  model: string | Uint8Array;
  /** Where the graph is cached; undefined when it could not be written. */
  path: string | undefined;
  /** Whether this call built the graph (a cache miss). */
  built: boolean;
}

/** `sift-graph-<16 hex digits of sha256(key)>.onnx` in `dir`. */
export function graphCachePath(dir: string, key: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 16);
  return join(dir, `sift-graph-${digest}.onnx`);
}

/** Returns the cached graph for `key`, or builds it, tries to cache it and returns the bytes. */
export async function cachedGraph(
  dir: string,
  key: unknown,
  build: () => Uint8Array | Promise<Uint8Array>,
): Promise<CachedGraph> {
  const path = graphCachePath(dir, key);
  try {
    await access(path);
    return { model: path, path, built: false };
  } catch {
    // Not cached yet.
  }
  const bytes = await build();
  try {
    await writeFileAtomic(path, bytes);
    return { model: bytes, path, built: true };
  } catch {
    return { model: bytes, path: undefined, built: true };
  }
}

/** Opens the cached graph, or builds, caches and opens it; a cached file ORT cannot load is rebuilt once. */
export async function openCachedGraph(
  dir: string,
  key: unknown,
  build: () => Uint8Array | Promise<Uint8Array>,
  cache: boolean,
  sessionOptions: SessionOptions,
): Promise<{ session: Session; path: string | undefined }> {
  if (!cache) return { session: await createSession(await build(), sessionOptions), path: undefined };
  const cached = await cachedGraph(dir, key, build);
  try {
    return { session: await createSession(cached.model, sessionOptions), path: cached.path };
  } catch (error) {
    // A cached file that does not load (truncated by a full disk, say) is rebuilt once.
    if (cached.built || cached.path === undefined) throw error;
    await rm(cached.path, { force: true });
    const rebuilt = await cachedGraph(dir, key, build);
    return { session: await createSession(rebuilt.model, sessionOptions), path: rebuilt.path };
  }
}
