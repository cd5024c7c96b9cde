// Metadata filters: equality, numeric ranges and set membership, compiled once into a predicate
// that retrievers test *during* their scan (a document that fails never enters the top-k).

import { SiftError } from '../errors.js';
import type { MetadataValue } from '../ingest/index.js';

export type FilterScalar = string | number | boolean;

/** A condition on one field. A bare scalar means equality. All given operators must hold. */
export type FilterCondition =
  | FilterScalar
  | {
      eq?: FilterScalar;
      in?: FilterScalar[];
      gt?: number;
      gte?: number;
      lt?: number;
      lte?: number;
    };

/** Field name → condition; a document passes when every condition holds (AND). */
export type FilterSpec = Record<string, FilterCondition>;

export type MetadataPredicate = (metadata: Readonly<Record<string, MetadataValue>>) => boolean;

const OPERATORS = new Set(['eq', 'in', 'gt', 'gte', 'lt', 'lte']);

/**
 * Compiles a filter. Semantics:
 * - equality and `in` compare strings case-insensitively and numbers by value ("3" equals 3);
 * - on a list-valued field (skills: ["python", "sql"]) equality means "contains", `in` means "shares any";
 * - ranges need numbers; a missing field fails every condition.
 */
export function compileFilter(spec: FilterSpec | undefined): MetadataPredicate | undefined {
  if (spec === undefined || Object.keys(spec).length === 0) return undefined;
  if (typeof spec !== 'object' || Array.isArray(spec)) {
    throw new SiftError('E_BAD_FILTER', 'filters must be an object of field → condition', {
      field: 'filters',
    });
  }
  const tests = Object.entries(spec).map(([field, condition]) => compileCondition(field, condition));
  return (metadata) => tests.every((test) => test(metadata));
}

/**
 * Refuses a filter on a field that no document has (E_FILTER_FIELD_UNKNOWN, naming the field and listing
 * the known ones): such a filter can only match nothing, which is almost always a misspelt field.
 */
export function checkFilterFields(spec: FilterSpec | undefined, knownFields: Iterable<string>): void {
  if (spec === undefined) return;
  const known = new Set(knownFields);
  const unknown = Object.keys(spec).filter((field) => !known.has(field));
  if (unknown.length === 0) return;
  const listed = [...known].sort((a, b) => a.localeCompare(b));
  throw new SiftError(
    'E_FILTER_FIELD_UNKNOWN',
    `no document has the field${unknown.length > 1 ? 's' : ''} ${unknown.map((f) => `"${f}"`).join(', ')} (known fields: ${listed.length > 0 ? listed.join(', ') : 'none'})`,
    { field: unknown[0]!, known: listed.join(', ') },
  );
}

/** Every metadata field name that at least one of the given documents has. */
export function metadataFields(metadataOf: Iterable<Readonly<Record<string, MetadataValue>>>): Set<string> {
  const fields = new Set<string>();
  for (const metadata of metadataOf) for (const field of Object.keys(metadata)) fields.add(field);
  return fields;
}

function compileCondition(field: string, condition: FilterCondition): MetadataPredicate {
  if (isScalar(condition)) return equalityTest(field, [condition]);
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) {
    throw new SiftError('E_BAD_FILTER', `filter on "${field}" must be a value or an operator object`, {
      field,
    });
  }
  const tests: MetadataPredicate[] = [];
  for (const [op, operand] of Object.entries(condition)) {
    if (!OPERATORS.has(op)) {
      throw new SiftError('E_BAD_FILTER', `unknown filter operator "${op}" on "${field}"`, { field });
    }
    if (op === 'eq') {
      if (!isScalar(operand)) throw badOperand(field, op, 'a string, number or boolean');
      tests.push(equalityTest(field, [operand]));
    } else if (op === 'in') {
      if (!Array.isArray(operand) || operand.length === 0 || !operand.every(isScalar)) {
        throw badOperand(field, op, 'a non-empty list of values');
      }
      tests.push(equalityTest(field, operand));
    } else {
      if (typeof operand !== 'number' || !Number.isFinite(operand))
        throw badOperand(field, op, 'a finite number');
      tests.push(rangeTest(field, op as 'gt' | 'gte' | 'lt' | 'lte', operand));
    }
  }
  return (metadata) => tests.every((test) => test(metadata));
}

function equalityTest(field: string, wanted: readonly FilterScalar[]): MetadataPredicate {
  const keys = new Set(wanted.map(normaliseKey));
  return (metadata) => {
    const value = metadata[field];
    if (value === undefined) return false;
    if (Array.isArray(value)) return value.some((item) => keys.has(normaliseKey(item)));
    return keys.has(normaliseKey(value));
  };
}

function rangeTest(field: string, op: 'gt' | 'gte' | 'lt' | 'lte', bound: number): MetadataPredicate {
  return (metadata) => {
    const value = metadata[field];
    if (typeof value !== 'number') return false;
    switch (op) {
      case 'gt':
        return value > bound;
      case 'gte':
        return value >= bound;
      case 'lt':
        return value < bound;
      case 'lte':
        return value <= bound;
    }
  };
}

function normaliseKey(value: FilterScalar): string {
  return typeof value === 'string' ? value.trim().toLowerCase() : String(value);
}

function isScalar(value: unknown): value is FilterScalar {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

function badOperand(field: string, op: string, expected: string): SiftError {
  return new SiftError('E_BAD_FILTER', `filter "${op}" on "${field}" needs ${expected}`, { field });
}

const CLI_FILTER = /^\s*([\w.-]+)\s*(>=|<=|!=|=|>|<|\s+in\s+)\s*(.+?)\s*$/;

/**
 * Parses command-line filters: `location=Berlin`, `salaryMin>=90000`, `seniority in senior,staff`.
 * Several arguments on the same field combine with AND.
 */
export function parseFilterArgs(args: readonly string[]): FilterSpec {
  const spec: Record<string, Exclude<FilterCondition, FilterScalar>> = {};
  for (const arg of args) {
    const match = CLI_FILTER.exec(arg);
    if (!match) {
      throw new SiftError(
        'E_BAD_FILTER',
        `cannot read filter "${arg}" (expected field=value, field>=n or field in a,b)`,
        {
          field: 'filter',
        },
      );
    }
    const [, field, rawOp, rawValue] = match as unknown as [string, string, string, string];
    const op = rawOp.trim();
    const condition = spec[field] ?? {};
    if (op === '=') condition.eq = parseScalar(rawValue);
    else if (op === 'in') condition.in = rawValue.split(',').map((part) => parseScalar(part.trim()));
    else if (op === '!=')
      throw new SiftError('E_BAD_FILTER', `"!=" is not supported (in "${arg}")`, { field });
    else {
      const bound = Number(rawValue);
      if (!Number.isFinite(bound)) throw badOperand(field, op, 'a number');
      const key = ({ '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte' } as const)[
        op as '>' | '>=' | '<' | '<='
      ];
      condition[key] = bound;
    }
    spec[field] = condition;
  }
  return spec;
}

function parseScalar(raw: string): FilterScalar {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  const asNumber = Number(raw);
  return raw !== '' && Number.isFinite(asNumber) ? asNumber : raw;
}
