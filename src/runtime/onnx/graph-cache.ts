// Caches built ONNX graphs beside the model they were built from, so later loads skip building.
//
// The file name carries a hash of everything the graph depends on (builder version, config, options,
// the weights file's size and mtime), so a changed input simply misses the cache; the old file stays
// until someone deletes it. Writes are atomic, and a read-only model folder just means no cache.
// A graph too large for one protobuf (2 GiB) comes with an external data file, `<graph>.data`, written
// before the graph itself, so a graph file that exists always has its data.

import { createHash } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../../util/index.js';
import { createSession, type Session, type SessionOptions } from '../ort.js';

/** A built graph whose large initializers live in a data file named by `build`'s argument. */
export interface GraphWithData {
  model: Uint8Array;
  data: Uint8Array[];
}

/** Builds a graph; `dataFile` is the name (relative to the graph) its external data must be given. */
export type GraphBuild = (
  dataFile: string,
) => Uint8Array | GraphWithData | Promise<Uint8Array | GraphWithData>;

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
export async function cachedGraph(dir: string, key: unknown, build: GraphBuild): Promise<CachedGraph> {
  const path = graphCachePath(dir, key);
  try {
    await access(path);
    return { model: path, path, built: false };
  } catch {
    // Not cached yet.
  }
  const dataFile = `${basename(path)}.data`;
  const built = await build(dataFile);
  if (!(built instanceof Uint8Array)) {
    // External data cannot travel as bytes: it must be written, here or (read-only folder) in a temp dir.
    try {
      await writeGraphWithData(path, built);
      return { model: path, path, built: true };
    } catch {
      // A read-only folder: the graph goes to a temp folder for this load only.
      const temp = join(await mkdtemp(join(tmpdir(), 'sift-graph-')), basename(path));
      await writeGraphWithData(temp, built);
      return { model: temp, path: undefined, built: true };
    }
  }
  try {
    await writeFileAtomic(path, built);
    return { model: built, path, built: true };
  } catch {
    return { model: built, path: undefined, built: true };
  }
}

async function writeGraphWithData(path: string, graph: GraphWithData): Promise<void> {
  await writeFileAtomic(`${path}.data`, graph.data);
  await writeFileAtomic(path, graph.model);
}

/** Opens the cached graph, or builds, caches and opens it; a cached file ORT cannot load is rebuilt once. */
export async function openCachedGraph(
  dir: string,
  key: unknown,
  build: GraphBuild,
  cache: boolean,
  sessionOptions: SessionOptions,
): Promise<{ session: Session; path: string | undefined }> {
  if (!cache) {
    const temp = await mkdtemp(join(tmpdir(), 'sift-graph-'));
    try {
      const built = await build(`${basename(graphCachePath(temp, key))}.data`);
      if (built instanceof Uint8Array)
        return { session: await createSession(built, sessionOptions), path: undefined };
      const path = graphCachePath(temp, key);
      await writeGraphWithData(path, built);
      return { session: await createSession(path, sessionOptions), path: undefined };
    } finally {
      // ORT has read (or mapped) the files; unlinking them now leaves nothing behind.
      await rm(temp, { recursive: true, force: true });
    }
  }
  const cached = await cachedGraph(dir, key, build);
  try {
    return { session: await createSession(cached.model, sessionOptions), path: cached.path };
  } catch (error) {
    // A cached file that does not load (truncated by a full disk, say) is rebuilt once.
    if (cached.built || cached.path === undefined) throw error;
    await rm(cached.path, { force: true });
    await rm(`${cached.path}.data`, { force: true });
    const rebuilt = await cachedGraph(dir, key, build);
    return { session: await createSession(rebuilt.model, sessionOptions), path: rebuilt.path };
  }
}
