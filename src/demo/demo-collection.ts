// The demo collection in SIFT_HOME: generated once per (seed, size, generator version), then reused.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildJobCollection, collectionFiles } from './collection.js';
import { jobGeneratorVersion } from './job-postings.js';

export interface DemoCollectionOptions {
  /** Folder that holds generated collections, e.g. $SIFT_HOME/collections. */
  root: string;
  seed?: number;
  docs?: number;
  queries?: number;
}

export interface DemoCollection {
  folder: string;
  /** False when an identical collection was already on disk. */
  generated: boolean;
}

export const DEMO_SEED = 2026;

export async function ensureDemoCollection(options: DemoCollectionOptions): Promise<DemoCollection> {
  const seed = options.seed ?? DEMO_SEED;
  const docs = options.docs ?? 5000;
  const queries = options.queries ?? 200;
  const folder = join(options.root, `jobs-${seed}-${docs}`);
  try {
    const manifest = JSON.parse(await readFile(join(folder, collectionFiles.manifest), 'utf8')) as {
      seed: number;
      generatorVersion: number;
      counts: { docs: number; queries: number };
    };
    if (
      manifest.seed === seed &&
      manifest.generatorVersion === jobGeneratorVersion &&
      manifest.counts.docs === docs &&
      manifest.counts.queries === queries
    ) {
      return { folder, generated: false };
    }
  } catch {
    // No collection yet (or an unreadable one): generate it.
  }
  await buildJobCollection(folder, { seed, count: docs, queryCount: queries });
  return { folder, generated: true };
}
