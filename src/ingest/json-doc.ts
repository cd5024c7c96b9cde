// Turns one parsed JSON record (a BEIR corpus line or a user's JSONL line) into a Doc.

import { checkReadOptions, countRead, skipOrThrow } from './bad-records.js';
import { DuplicateIds } from './duplicate-ids.js';
import { parseJsonLines } from './jsonl.js';
import {
  asRecordObject,
  badField,
  isPlainObject,
  optionalString,
  type RecordSource,
  requireId,
  requireString,
  setOwn,
  toMetadataValue,
} from './record-fields.js';
import type { Doc, MetadataValue, ReadOptions } from './types.js';

/**
 * Builds a Doc from a JSON object.
 *
 * - The id comes from the first of `idFields` present (e.g. `['id', '_id']`); having two of them is an error,
 *   since they could disagree.
 * - `title` is optional (absent or null → ''); `text` is required and must be a string (it may be empty).
 * - A `metadata` object's entries and every other top-level field become Doc.metadata, checked against
 *   MetadataValue; null values are dropped. A name that appears both at top level and inside `metadata`
 *   is an error rather than letting one silently win.
 */
export function docFromJson(value: unknown, source: RecordSource, idFields: readonly string[]): Doc {
  const record = asRecordObject(value, source);
  const id = readId(record, source, idFields);
  const title = optionalString(record['title'], 'title', source);
  const text = requireString(record['text'], 'text', source);

  const metadata: Record<string, MetadataValue> = {};
  const nested = record['metadata'];
  if (nested !== undefined && nested !== null) {
    if (!isPlainObject(nested)) throw badField(source, 'metadata', 'must be an object');
    for (const [key, raw] of Object.entries(nested)) {
      const checked = toMetadataValue(raw, `metadata.${key}`, source);
      if (checked !== undefined) setOwn(metadata, key, checked);
    }
  }
  const reserved = new Set([...idFields, 'title', 'text', 'metadata']);
  for (const [key, raw] of Object.entries(record)) {
    if (reserved.has(key)) continue;
    if (isPlainObject(nested) && Object.hasOwn(nested, key)) {
      throw badField(source, key, 'appears both at top level and inside "metadata"');
    }
    const checked = toMetadataValue(raw, key, source);
    if (checked !== undefined) setOwn(metadata, key, checked);
  }
  return { id, title, text, metadata };
}

function readId(record: Record<string, unknown>, source: RecordSource, idFields: readonly string[]): string {
  const present = idFields.filter((field) => record[field] !== undefined);
  const [first, second] = present;
  if (second !== undefined) {
    throw badField(source, second, `conflicts with "${first}"; give the id once`);
  }
  // With no id field present, name the canonical one in the "missing" error.
  const field = first ?? idFields[0] ?? 'id';
  return requireId(record[field], field, source);
}

/**
 * Streams the Docs of a JSON Lines file under the bad-record policy of `options`; the id is read from
 * `idFields` (the first is the name duplicate-id errors use). A repeated id is E_DUPLICATE_ID naming both lines.
 */
export async function* readJsonDocs(
  path: string,
  options: ReadOptions,
  idFields: readonly string[],
): AsyncGenerator<Doc> {
  checkReadOptions(options);
  const seen = new DuplicateIds(path, idFields[0]!);
  for await (const { value, line } of parseJsonLines(path, options)) {
    let doc: Doc;
    try {
      doc = docFromJson(value, { file: path, line, code: 'E_BAD_JSONL' }, idFields);
      seen.claim(doc.id, line);
    } catch (error) {
      skipOrThrow(error, options);
      continue;
    }
    countRead(options);
    yield doc;
  }
}
