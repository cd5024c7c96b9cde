// Builds (or reuses) the index of a document source: a BEIR folder or a user's JSONL/CSV file.
//
// An index remembers the sha256 of the file it was built from; asking for the same source again
// opens the cached index instead of rebuilding it, and a changed file triggers a rebuild.

import { createReadStream } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SiftError } from '../errors.js';
import type { Doc, ReadOptions } from '../ingest/index.js';
import { ProgressBar, sha256File } from '../util/index.js';
import { SiftIndex } from './sift-index.js';
import { SUMMARIES_DIR } from './summaries.js';

export interface BuildIndexOptions {
  /** Where the index lives. */
  dir: string;
  name?: string;
  /** Rebuild even when a current index exists. */
  force?: boolean;
  quiet?: boolean;
  read?: ReadOptions;
}

export interface DocumentSource {
  /** The file whose content identifies the source (corpus.jsonl, docs.csv, ...). */
  path: string;
  /** Streams the documents. */
  read(options: ReadOptions): AsyncIterable<Doc>;
  /** Expected document count for the progress bar, when cheap to know. */
  estimatedCount?: number;
}

export interface BuildResult {
  index: SiftIndex;
  /** False when a current cached index was reused. */
  built: boolean;
  seconds: number;
}

export async function buildIndex(source: DocumentSource, options: BuildIndexOptions): Promise<BuildResult> {
  const started = performance.now();
  const sha256 = await sha256File(source.path);
  if (!options.force && (await SiftIndex.exists(options.dir))) {
    try {
      const cached = await SiftIndex.open(options.dir);
      if (cached.source?.sha256 === sha256) {
        return { index: cached, built: false, seconds: (performance.now() - started) / 1000 };
      }
    } catch (error) {
      // A cached index we cannot read (old format, corruption) is rebuilt from its source.
      if (!(error instanceof SiftError)) throw error;
    }
  }
  await clearIndexDir(options.dir);
  const index = SiftIndex.create(options.dir, {
    source: { path: source.path, sha256 },
    ...(options.name ? { name: options.name } : {}),
  });
  const progress = new ProgressBar({
    label: `indexing ${index.name}`,
    unit: 'docs',
    quiet: options.quiet ?? false,
    ...(source.estimatedCount ? { total: source.estimatedCount } : {}),
  });
  for await (const doc of source.read(options.read ?? {})) {
    index.add(doc);
    progress.tick();
  }
  await index.commit();
  progress.finish(`→ ${options.dir}`);
  return { index, built: true, seconds: (performance.now() - started) / 1000 };
}

/** Counts lines cheaply, for progress totals of JSONL files. */
export async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) lines++;
  }
  return lines;
}

export function indexDirFor(indexesRoot: string, name: string): string {
  return join(indexesRoot, name);
}

/**
 * Empties an index folder for a rebuild, except its document summaries: they are keyed by each document's
 * content hash, so they stay valid for every document the rebuild did not change, and making them again
 * can take hours (model-written summaries).
 */
async function clearIndexDir(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries) {
    if (entry !== SUMMARIES_DIR) await rm(join(dir, entry), { recursive: true, force: true });
  }
}
