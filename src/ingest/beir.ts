// Readers for BEIR-format collections: corpus.jsonl (streamed), queries.jsonl, qrels/<split>.tsv.

import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { SiftError } from '../errors.js';
import { checkReadOptions, countRead, skipOrThrow } from './bad-records.js';
import { DuplicateIds } from './duplicate-ids.js';
import { readJsonDocs } from './json-doc.js';
import { parseJsonLines } from './jsonl.js';
import {
  asRecordObject,
  badField,
  isPlainObject,
  type RecordSource,
  requireId,
  requireString,
  setOwn,
} from './record-fields.js';
import { assertFile, fileError, readLines } from './text-file.js';
import type { Doc, Qrels, Query, ReadOptions } from './types.js';

/**
 * Streams the docs of a BEIR corpus.jsonl: `_id` (string, or number written in decimal), optional `title`
 * (default ''), `text`; a `metadata` object and any other top-level field go to Doc.metadata.
 * A repeated `_id` is E_DUPLICATE_ID naming both lines.
 */
export async function* readBeirCorpus(path: string, options: ReadOptions = {}): AsyncGenerator<Doc> {
  yield* readJsonDocs(path, options, ['_id']);
}

/**
 * Reads a BEIR queries.jsonl whole (query sets are small and callers want them by index): `_id`, `text`;
 * a `metadata` object and any other field (BEIR sometimes has `title`) go to Query.metadata unchecked.
 */
export async function readBeirQueries(path: string, options: ReadOptions = {}): Promise<Query[]> {
  checkReadOptions(options);
  const seen = new DuplicateIds(path, '_id');
  const queries: Query[] = [];
  for await (const { value, line } of parseJsonLines(path, options)) {
    try {
      const query = queryFromJson(value, { file: path, line, code: 'E_BAD_JSONL' });
      seen.claim(query.id, line);
      queries.push(query);
    } catch (error) {
      skipOrThrow(error, options);
      continue;
    }
    countRead(options);
  }
  return queries;
}

const QRELS_HEADER = ['query-id', 'corpus-id', 'score'];

/**
 * Reads graded qrels. BEIR writes tab-separated `query-id corpus-id score` under that header line;
 * TREC qrels (`query-id iteration corpus-id score`, whitespace-separated, no header) are read too, since
 * run files and judgments elsewhere come that way. Scores are integers (0 = judged not relevant; negative
 * grades are kept as given). A repeated (query, doc) pair is E_DUPLICATE_ID, as it could disagree.
 * `stats.read` counts judgment lines.
 */
export async function readBeirQrels(path: string, options: ReadOptions = {}): Promise<Qrels> {
  checkReadOptions(options);
  const seen = new DuplicateIds(path, 'corpus-id');
  const qrels: Qrels = new Map();
  let firstRecord = true;
  for await (const { text, line } of readLines(path)) {
    if (text.trim() === '') continue;
    const columns = splitQrelsLine(text);
    if (firstRecord) {
      firstRecord = false;
      if (columns.length === 3 && columns.every((column, i) => column.toLowerCase() === QRELS_HEADER[i]))
        continue;
    }
    try {
      const { queryId, docId, grade } = parseJudgment(columns, { file: path, line, code: 'E_BAD_TSV' });
      seen.claim(`${queryId}\t${docId}`, line, `judgment of doc "${docId}" for query "${queryId}"`);
      let judged = qrels.get(queryId);
      if (judged === undefined) {
        judged = new Map();
        qrels.set(queryId, judged);
      }
      judged.set(docId, grade);
    } catch (error) {
      skipOrThrow(error, options);
      continue;
    }
    countRead(options);
  }
  return qrels;
}

export type BeirCollectionOptions = ReadOptions & {
  /** Which qrels/<split>.tsv to load; a plain file name stem. Default 'test'. */
  split?: string;
};

export interface BeirCollection {
  /** The folder's own name, e.g. 'cranfield'. */
  name: string;
  /** The folder as given. */
  folder: string;
  /** Stream it with readBeirCorpus; the corpus is never loaded into memory here. */
  corpusPath: string;
  queriesPath: string;
  qrelsPath: string;
  /** Every query in queries.jsonl, judged or not (BEIR folders often hold queries without qrels). */
  queries: Query[];
  qrels: Qrels;
  split: string;
}

/**
 * Locates a BEIR collection folder, checks its corpus exists, and loads its queries and one split's qrels.
 * `options` apply to both the queries and qrels files; a `stats` object totals both.
 */
export async function loadBeirCollection(
  folder: string,
  options: BeirCollectionOptions = {},
): Promise<BeirCollection> {
  const split = options.split ?? 'test';
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(split)) {
    throw new SiftError(
      'E_BAD_ARGUMENT',
      `split must be a plain name like "test", not ${JSON.stringify(split)}`,
      {
        field: 'split',
      },
    );
  }
  await assertFolder(folder);
  const corpusPath = join(folder, 'corpus.jsonl');
  const queriesPath = join(folder, 'queries.jsonl');
  const qrelsPath = join(folder, 'qrels', `${split}.tsv`);
  await assertFile(corpusPath);
  await assertQrelsFile(qrelsPath, join(folder, 'qrels'), split);
  const queries = await readBeirQueries(queriesPath, options);
  const qrels = await readBeirQrels(qrelsPath, options);
  return {
    name: basename(resolve(folder)),
    folder,
    corpusPath,
    queriesPath,
    qrelsPath,
    queries,
    qrels,
    split,
  };
}

function queryFromJson(value: unknown, source: RecordSource): Query {
  const record = asRecordObject(value, source);
  const id = requireId(record['_id'], '_id', source);
  const text = requireString(record['text'], 'text', source);
  const metadata: Record<string, unknown> = {};
  const nested = record['metadata'];
  if (nested !== undefined && nested !== null) {
    if (!isPlainObject(nested)) throw badField(source, 'metadata', 'must be an object');
    for (const [key, raw] of Object.entries(nested)) setOwn(metadata, key, raw);
  }
  for (const [key, raw] of Object.entries(record)) {
    if (key === '_id' || key === 'text' || key === 'metadata') continue;
    if (Object.hasOwn(metadata, key)) {
      throw badField(source, key, 'appears both at top level and inside "metadata"');
    }
    setOwn(metadata, key, raw);
  }
  return Object.keys(metadata).length > 0 ? { id, text, metadata } : { id, text };
}

function splitQrelsLine(text: string): string[] {
  const columns = text.includes('\t') ? text.split('\t') : text.trim().split(/\s+/);
  return columns.map((column) => column.trim());
}

function parseJudgment(
  columns: string[],
  source: RecordSource,
): { queryId: string; docId: string; grade: number } {
  let queryId: string | undefined;
  let docId: string | undefined;
  let score: string | undefined;
  if (columns.length === 3) [queryId, docId, score] = columns;
  else if (columns.length === 4) [queryId, , docId, score] = columns;
  else {
    throw new SiftError(
      'E_BAD_TSV',
      `expected 3 columns (query-id, corpus-id, score) or 4 (TREC qrels), found ${columns.length}`,
      { file: source.file, line: source.line },
    );
  }
  if (!queryId) throw badField(source, 'query-id', 'must not be empty');
  if (!docId) throw badField(source, 'corpus-id', 'must not be empty');
  if (score === undefined || !/^[+-]?\d+$/.test(score)) {
    throw badField(source, 'score', `must be an integer grade, not ${JSON.stringify(score ?? '')}`);
  }
  return { queryId, docId, grade: Number.parseInt(score, 10) };
}

async function assertFolder(folder: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(folder)).isDirectory();
  } catch (error) {
    throw fileError(error, folder);
  }
  if (!isFolder)
    throw new SiftError('E_PATH_KIND', 'is a file, not a BEIR collection folder', { file: folder });
}

/** A missing split is a common typo, so the error lists the splits the folder does have. */
async function assertQrelsFile(qrelsPath: string, qrelsFolder: string, split: string): Promise<void> {
  try {
    await assertFile(qrelsPath);
  } catch (error) {
    if (!(error instanceof SiftError) || error.code !== 'E_FILE_NOT_FOUND') throw error;
    const available = await readdir(qrelsFolder).then(
      (names) => names.filter((name) => name.endsWith('.tsv')).map((name) => name.slice(0, -'.tsv'.length)),
      () => [],
    );
    const found = available.length > 0 ? `found: ${available.sort().join(', ')}` : 'no qrels/*.tsv found';
    throw new SiftError(
      'E_FILE_NOT_FOUND',
      `no qrels for split "${split}" (${found})`,
      {
        file: qrelsPath,
        field: 'split',
      },
      { cause: error },
    );
  }
}
