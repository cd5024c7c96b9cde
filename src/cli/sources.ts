// Resolves what a user names on the command line: a collection (BEIR folder or document file)
// into a document source, and an index argument (a folder or a name in SIFT_HOME) into an index.

import { stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { SiftError } from '../errors.js';
import { countLines, type DocumentSource, SiftIndex } from '../index/index.js';
import { readBeirCorpus, readDocuments } from '../ingest/index.js';
import { siftPaths } from '../util/index.js';

export interface ResolvedCollection {
  name: string;
  source: DocumentSource;
  /** The BEIR folder, when the collection is one (queries and qrels live there). */
  beirFolder?: string;
}

export async function resolveCollection(path: string): Promise<ResolvedCollection> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch((error: unknown) => {
    throw new SiftError('E_FILE_NOT_FOUND', 'collection not found', { file: path }, { cause: error });
  });
  if (info.isDirectory()) {
    const corpusPath = join(absolute, 'corpus.jsonl');
    await stat(corpusPath).catch((error: unknown) => {
      throw new SiftError(
        'E_FILE_NOT_FOUND',
        'folder has no corpus.jsonl (expected a BEIR collection, or pass a .jsonl/.csv file)',
        { file: path },
        { cause: error },
      );
    });
    return {
      name: basename(absolute),
      beirFolder: absolute,
      source: {
        path: corpusPath,
        read: (options) => readBeirCorpus(corpusPath, options),
        estimatedCount: await countLines(corpusPath),
      },
    };
  }
  const ext = extname(absolute).toLowerCase();
  return {
    name: basename(absolute, ext),
    source: {
      path: absolute,
      read: (options) => readDocuments(absolute, options),
      ...(ext === '.csv' ? {} : { estimatedCount: await countLines(absolute) }),
    },
  };
}

/** Where the index of a named collection lives by default: SIFT_HOME/indexes/<name>. */
export function defaultIndexDir(name: string): string {
  return join(siftPaths().indexes, name);
}

/** Opens an index given as a folder path, or as a name under SIFT_HOME/indexes. */
export async function openIndexArgument(arg: string): Promise<SiftIndex> {
  if (await SiftIndex.exists(arg)) return SiftIndex.open(arg);
  const named = defaultIndexDir(arg);
  if (await SiftIndex.exists(named)) return SiftIndex.open(named);
  throw new SiftError(
    'E_INDEX_NOT_FOUND',
    `no index "${arg}" (looked in ${resolve(arg)} and ${named}); build one with \`sift index <collection>\``,
    { file: arg },
  );
}
