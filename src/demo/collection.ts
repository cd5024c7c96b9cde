// Writes a collection to disk atomically in BEIR layout, and builds the whole demo collection in one call.
//
// The files are corpus.jsonl, queries.jsonl, qrels/test.tsv and collection.json (seed, counts, version).
// Everything is written into a temporary folder beside the target, synced, and only then renamed into
// place, so a reader never sees half a collection. Documents are streamed through a small buffer, so a
// 100,000-posting corpus never sits in memory as one string. Nothing time- or machine-dependent is
// written: the same inputs give byte-identical files.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isSiftError, SiftError } from '../errors.js';
import type { Doc, Qrels, Query } from '../ingest/index.js';
import { checkSeed } from '../util/index.js';
import { gradeTable } from './grading.js';
import {
  checkCount,
  generateJobFacts,
  jobGeneratorVersion,
  postingFromFacts,
  skeletonFromFacts,
} from './job-postings.js';
import { withLines } from './line-writer.js';
import type { JobFacts } from './posting-facts.js';
import { generateJobQueries } from './queries.js';
import { wordCount } from './text.js';

export const collectionFiles = {
  corpus: 'corpus.jsonl',
  queries: 'queries.jsonl',
  qrels: 'qrels/test.tsv',
  manifest: 'collection.json',
} as const;

export interface WriteJobCollectionOptions {
  seed: number;
  /** Any iterable, sync or async: a generator keeps memory flat however large the corpus. */
  docs: Iterable<Doc> | AsyncIterable<Doc>;
  queries: readonly Query[];
  qrels: Qrels;
}

export interface JobCollectionStats {
  folder: string;
  seed: number;
  docs: number;
  queries: number;
  /** Judgment lines in qrels/test.tsv, zeros included. */
  judgments: number;
  /** Judgments per grade, "0" to "3". */
  grades: Record<string, number>;
  queryKinds: Record<string, number>;
  words: { min: number; max: number; mean: number };
  bytes: { corpus: number; queries: number; qrels: number };
}

/** TSV fields must not hold tabs or line breaks; generated ids never do, but a caller's might. */
function tsvField(value: string, what: string): string {
  if (/[\t\r\n]/.test(value))
    throw new SiftError('E_BAD_ARGUMENT', `${what} "${value}" contains a tab or newline`);
  return value;
}

async function isDirectory(path: string): Promise<boolean | undefined> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Refuses to replace anything but an empty folder or an earlier generated collection: the swap deletes
 * the old folder, and a mistyped path must not cost someone their files.
 */
async function checkReplaceable(folder: string): Promise<boolean> {
  const directory = await isDirectory(folder);
  if (directory === undefined) return false;
  if (!directory) throw new SiftError('E_PATH_KIND', 'exists and is not a folder', { file: folder });
  const names = await readdir(folder);
  if (names.length > 0 && !names.includes(collectionFiles.manifest)) {
    const detail = `folder is not empty and holds no ${collectionFiles.manifest}; not replacing it`;
    throw new SiftError('E_BAD_ARGUMENT', detail, { file: folder });
  }
  return true;
}

export async function writeJobCollection(
  folder: string,
  options: WriteJobCollectionOptions,
): Promise<JobCollectionStats> {
  const seed = checkSeed(options.seed);
  const target = resolve(folder);
  const exists = await checkReplaceable(target);
  await mkdir(dirname(target), { recursive: true });
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temp = join(dirname(target), `.${basename(target)}.${suffix}.tmp`);
  const old = join(dirname(target), `.${basename(target)}.${suffix}.old`);

  let movedAside = false;
  try {
    await mkdir(join(temp, dirname(collectionFiles.qrels)), { recursive: true });
    const stats = await writeFiles(temp, seed, options);
    // Two renames: the old collection steps aside, the new one steps in. Between them the folder is
    // briefly absent, never half-written.
    if (exists) {
      await rename(target, old);
      movedAside = true;
    }
    await rename(temp, target);
    if (exists) await rm(old, { recursive: true, force: true });
    return { ...stats, folder: target };
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (movedAside) await rename(old, target).catch(() => undefined);
    if (isSiftError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new SiftError('E_IO', `cannot write the collection (${code})`, { file: target }, { cause: error });
  }
}

async function writeFiles(
  folder: string,
  seed: number,
  options: WriteJobCollectionOptions,
): Promise<Omit<JobCollectionStats, 'folder'>> {
  let docs = 0;
  let minWords = Number.POSITIVE_INFINITY;
  let maxWords = 0;
  let totalWords = 0;
  const corpusBytes = await withLines(join(folder, collectionFiles.corpus), async (out) => {
    for await (const doc of options.docs) {
      const words = wordCount(doc.text);
      minWords = Math.min(minWords, words);
      maxWords = Math.max(maxWords, words);
      totalWords += words;
      docs += 1;
      const line = JSON.stringify({ _id: doc.id, title: doc.title, text: doc.text, metadata: doc.metadata });
      if (out.line(line)) await out.flush();
    }
  });

  const queryKinds: Record<string, number> = {};
  const queriesBytes = await withLines(join(folder, collectionFiles.queries), async (out) => {
    for (const query of options.queries) {
      const kind = query.metadata?.['kind'];
      // Only the kind is written: the intent is the answer key and has no place in a searcher's query.
      const metadata = typeof kind === 'string' ? { metadata: { kind } } : {};
      if (typeof kind === 'string') queryKinds[kind] = (queryKinds[kind] ?? 0) + 1;
      if (out.line(JSON.stringify({ _id: query.id, text: query.text, ...metadata }))) await out.flush();
    }
  });

  const grades: Record<string, number> = { '0': 0, '1': 0, '2': 0, '3': 0 };
  let judgments = 0;
  const qrelsBytes = await withLines(join(folder, collectionFiles.qrels), async (out) => {
    out.line('query-id\tcorpus-id\tscore');
    for (const [queryId, judged] of options.qrels) {
      const prefix = `${tsvField(queryId, 'query id')}\t`;
      for (const [docId, grade] of judged) {
        if (out.line(`${prefix}${tsvField(docId, 'doc id')}\t${grade}`)) await out.flush();
        grades[String(grade)] = (grades[String(grade)] ?? 0) + 1;
        judgments += 1;
      }
    }
  });

  const words = {
    min: docs === 0 ? 0 : minWords,
    max: maxWords,
    mean: docs === 0 ? 0 : Math.round(totalWords / docs),
  };
  const manifest = {
    name: 'sift-demo-jobs',
    description: 'Synthetic job postings with searcher queries and graded relevance, generated by sift demo.',
    generator: 'sift/demo/job-postings',
    generatorVersion: jobGeneratorVersion,
    seed,
    counts: { docs, queries: options.queries.length, judgments },
    grades,
    queryKinds,
    words,
    files: collectionFiles,
    grading: {
      topic:
        'family queries: same family = exact, related family = related; skill-only queries: all skills = exact, some = related',
      constraints:
        'location, country, seniority, workplace, employmentType, minSalary, and each skill of a family query',
      table: gradeTable,
      note: 'table[topic][min(violations, 2)]; every posting graded 1-3 is judged, plus sampled grade-0 negatives',
    },
  };
  await withLines(join(folder, collectionFiles.manifest), async (out) => {
    out.line(JSON.stringify(manifest, null, 2));
  });

  return {
    seed,
    docs,
    queries: options.queries.length,
    judgments,
    grades,
    queryKinds,
    words,
    bytes: { corpus: corpusBytes, queries: queriesBytes, qrels: qrelsBytes },
  };
}

/** The demo's default size. */
export const defaultPostingCount = 5000;
export const defaultQueryCount = 200;

export interface BuildJobCollectionOptions {
  seed: number;
  /** Postings to generate; defaults to 5,000. */
  count?: number;
  /** Queries to generate; defaults to 200. */
  queryCount?: number;
}

/**
 * Generates and writes a whole collection. The postings' facts are drawn once and queries are graded from
 * them; each text is rendered only as it is written, so the corpus never sits in memory.
 */
export async function buildJobCollection(
  folder: string,
  options: BuildJobCollectionOptions,
): Promise<JobCollectionStats> {
  const seed = checkSeed(options.seed);
  const count = checkCount(options.count ?? defaultPostingCount, 'count');
  const facts = generateJobFacts({ seed, count });
  const queryCount = options.queryCount ?? defaultQueryCount;
  const { queries, qrels } = generateJobQueries({
    seed,
    count: queryCount,
    postings: facts.map(skeletonFromFacts),
  });
  function* docs(): Generator<Doc> {
    for (let index = 0; index < facts.length; index += 1)
      yield postingFromFacts(seed, index, facts[index] as JobFacts);
  }
  return writeJobCollection(folder, { seed, docs: docs(), queries, qrels });
}
