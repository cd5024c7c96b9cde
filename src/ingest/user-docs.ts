// Readers for a user's own documents, JSON Lines or CSV, into the one Doc shape.

import { extname } from 'node:path';
import { SiftError } from '../errors.js';
import { checkReadOptions, countRead, skipOrThrow } from './bad-records.js';
import { readCsvRecords } from './csv.js';
import { DuplicateIds } from './duplicate-ids.js';
import { readJsonDocs } from './json-doc.js';
import { type RecordSource, requireId, setOwn } from './record-fields.js';
import type { Doc, MetadataValue, ReadOptions } from './types.js';

export type DocumentFormat = 'jsonl' | 'csv';

export type DocumentReadOptions = ReadOptions & {
  /** Overrides the format readDocuments infers from the file extension. */
  format?: DocumentFormat;
};

const FORMAT_BY_EXTENSION: ReadonlyMap<string, DocumentFormat> = new Map([
  ['.jsonl', 'jsonl'],
  ['.ndjson', 'jsonl'],
  // Read as JSON Lines, one object per line: a whole-file JSON array is not streamable and is reported as such.
  ['.json', 'jsonl'],
  ['.csv', 'csv'],
]);

/** The format a file extension implies (case-insensitive); unknown extensions are E_BAD_ARGUMENT. */
export function documentFormatOf(path: string): DocumentFormat {
  const extension = extname(path).toLowerCase();
  const format = FORMAT_BY_EXTENSION.get(extension);
  if (format === undefined) {
    const known = [...FORMAT_BY_EXTENSION.keys()].join(', ');
    throw new SiftError('E_BAD_ARGUMENT', `cannot tell the format from "${extension}"; use one of ${known}`, {
      file: path,
    });
  }
  return format;
}

/**
 * Streams a user's documents, choosing the reader by `options.format` or the extension
 * (.jsonl/.ndjson/.json → JSON Lines, .csv → CSV). An unknown extension throws E_BAD_ARGUMENT at once,
 * before iteration; file and record errors surface while iterating.
 */
export function readDocuments(path: string, options: DocumentReadOptions = {}): AsyncGenerator<Doc> {
  const format: unknown = options.format ?? documentFormatOf(path);
  if (format === 'csv') return readCsvDocuments(path, options);
  if (format === 'jsonl') return readJsonlDocuments(path, options);
  throw new SiftError('E_BAD_ARGUMENT', `format must be "jsonl" or "csv", not ${JSON.stringify(format)}`, {
    field: 'format',
  });
}

/**
 * JSON Lines documents: `id` (or its alias `_id`, not both; a string, or a number written in decimal),
 * optional `title`, required string `text`; a `metadata` object's entries and every other field become
 * Doc.metadata, each a MetadataValue (string, number, boolean, or list of only strings or only numbers).
 * Null values are dropped; nested objects are errors naming the field. Repeated ids are E_DUPLICATE_ID.
 */
export async function* readJsonlDocuments(path: string, options: ReadOptions = {}): AsyncGenerator<Doc> {
  yield* readJsonDocs(path, options, ['id', '_id']);
}

/**
 * CSV documents with a header row naming `id` (or `_id`) and `text` (required), and optionally `title`;
 * header names are matched exactly, after trimming. Every other column becomes Doc.metadata:
 *
 * - an empty cell leaves the field out (CSV cannot tell "empty" from "no value");
 * - a cell that is exactly a JSON number (`42`, `-1.5`, `3e8`; not `007`, ` 42` or `1,000`) becomes a number,
 *   except digit strings beyond 2^53, which stay strings so that long numeric codes keep every digit;
 * - everything else stays a string, as written (no trimming, no list splitting, no booleans).
 */
export async function* readCsvDocuments(path: string, options: ReadOptions = {}): AsyncGenerator<Doc> {
  checkReadOptions(options);
  let idColumn = 'id';
  const checkColumns = (columns: readonly string[], line: number): void => {
    const ids = columns.filter((name) => name === 'id' || name === '_id');
    const [first, second] = ids;
    if (second !== undefined) {
      throw new SiftError('E_BAD_CSV', 'header has both "id" and "_id"; give one id column', {
        file: path,
        line,
        field: second,
      });
    }
    if (first === undefined) {
      throw new SiftError('E_BAD_CSV', 'header has no "id" column', { file: path, line, field: 'id' });
    }
    if (!columns.includes('text')) {
      throw new SiftError('E_BAD_CSV', 'header has no "text" column', { file: path, line, field: 'text' });
    }
    idColumn = first;
  };

  let seen: DuplicateIds | undefined;
  for await (const { line, values } of readCsvRecords(path, options, checkColumns)) {
    seen ??= new DuplicateIds(path, idColumn);
    let doc: Doc;
    try {
      doc = docFromCsvRow(values, idColumn, { file: path, line, code: 'E_BAD_CSV' });
      seen.claim(doc.id, line);
    } catch (error) {
      skipOrThrow(error, options);
      continue;
    }
    countRead(options);
    yield doc;
  }
}

function docFromCsvRow(values: ReadonlyMap<string, string>, idColumn: string, source: RecordSource): Doc {
  const id = requireId(values.get(idColumn), idColumn, source);
  const metadata: Record<string, MetadataValue> = {};
  for (const [column, cell] of values) {
    if (column === idColumn || column === 'title' || column === 'text' || cell === '') continue;
    setOwn(metadata, column, csvCellValue(cell));
  }
  return { id, title: values.get('title') ?? '', text: values.get('text') ?? '', metadata };
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** A CSV metadata cell as a MetadataValue, by the rules on readCsvDocuments. */
export function csvCellValue(cell: string): string | number {
  if (!JSON_NUMBER.test(cell)) return cell;
  const number = Number(cell);
  if (!Number.isFinite(number)) return cell;
  if (/^-?\d+$/.test(cell) && !Number.isSafeInteger(number)) return cell;
  return number;
}
