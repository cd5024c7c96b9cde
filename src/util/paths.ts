// Where sift keeps its state: SIFT_HOME (default ~/.sift) holds indexes, caches and models.

import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface SiftPaths {
  home: string;
  indexes: string;
  models: string;
  cache: string;
  /** Generated collections (the demo job corpus). */
  collections: string;
}

export function siftPaths(env: NodeJS.ProcessEnv = process.env): SiftPaths {
  const home = resolve(env.SIFT_HOME ?? join(homedir(), '.sift'));
  return {
    home,
    indexes: join(home, 'indexes'),
    models: join(home, 'models'),
    cache: join(home, 'cache'),
    collections: join(home, 'collections'),
  };
}

/** The read-only shared data folder (collections, tokenizers) used by tests and benchmarks. */
export function sharedDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.SIFT_SHARED ?? '../shared');
}
