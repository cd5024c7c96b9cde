// Field checks shared by the record readers: ids, string fields and metadata values, with errors naming the field.

import { type ErrorCode, SiftError } from '../errors.js';
import type { MetadataValue } from './types.js';

/** Where a record came from, for error messages; `code` is the bad-record code of the file's format. */
export interface RecordSource {
  file: string;
  line: number;
  code: Extract<ErrorCode, 'E_BAD_JSONL' | 'E_BAD_CSV' | 'E_BAD_TSV'>;
}

export function badField(source: RecordSource, field: string, detail: string): SiftError {
  return new SiftError(source.code, `field "${field}" ${detail}`, {
    file: source.file,
    line: source.line,
    field,
  });
}

/** A JSON record must be an object; arrays and scalars are rejected with a hint at the usual cause. */
export function asRecordObject(value: unknown, source: RecordSource): Record<string, unknown> {
  if (isPlainObject(value)) return value;
  const what = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
  const hint = Array.isArray(value) ? ' (JSON Lines holds one object per line, not one array)' : '';
  throw new SiftError(source.code, `record is ${what}, expected a JSON object${hint}`, {
    file: source.file,
    line: source.line,
  });
}

/**
 * An id is a non-blank string. Numbers are accepted and written in decimal, because BEIR and
 * user exports often store numeric ids (`"_id": 42`), and a number names a record unambiguously.
 */
export function requireId(value: unknown, field: string, source: RecordSource): string {
  if (value === undefined) throw badField(source, field, 'missing');
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw badField(source, field, 'must be a string or a number');
  if (value.trim() === '') throw badField(source, field, 'must not be empty');
  return value;
}

export function requireString(value: unknown, field: string, source: RecordSource): string {
  if (value === undefined) throw badField(source, field, 'missing');
  if (typeof value !== 'string') throw badField(source, field, 'must be a string');
  return value;
}

/** An optional string field: absent or null reads as ''. */
export function optionalString(value: unknown, field: string, source: RecordSource): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw badField(source, field, 'must be a string');
  return value;
}

/**
 * Checks one metadata value against MetadataValue. `null` returns undefined, meaning "drop the field":
 * in JSON it means "no value", and a filter on the field then simply does not match, as for an absent one.
 * Nested objects and mixed lists are errors, because filters could not test them.
 */
export function toMetadataValue(
  value: unknown,
  field: string,
  source: RecordSource,
): MetadataValue | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw badField(source, field, 'must be a finite number');
    return value;
  }
  if (Array.isArray(value)) {
    if (value.every((item): item is string => typeof item === 'string')) return value;
    if (value.every((item): item is number => typeof item === 'number' && Number.isFinite(item))) {
      return value;
    }
    throw badField(source, field, 'must be a list of only strings or only finite numbers');
  }
  throw badField(source, field, 'must be a string, number, boolean, or a list of strings or numbers');
}

/**
 * Sets an own enumerable property. Plain assignment would treat a field named `__proto__`
 * (possible in a CSV header or a JSON key) as the prototype setter instead of data.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
