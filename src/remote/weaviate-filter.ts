// sift's metadata filters compiled to Weaviate's `where` filters, with sift's semantics kept exactly:
// equality and `in` compare normalised keys (strings case-insensitively, numbers by value), a list field
// "contains", ranges need a single number, and a missing field fails every condition.

import { Filters, type FilterValue } from 'weaviate-client';
import { compileFilter, type FilterScalar, type FilterSpec } from '../retrieve/index.js';
import { type MetadataFieldMapping, metadataKey } from './weaviate-schema.js';

/** A compiled filter: none given, one that no document can pass, or a Weaviate filter. */
export type CompiledRemoteFilter = { kind: 'all' } | { kind: 'none' } | { kind: 'where'; where: FilterValue };

/** Anything shaped like a Weaviate property filter builder (the collection's `filter.byProperty`). */
export type ByProperty = (name: string) => {
  containsAny(values: string[]): FilterValue;
  greaterThan(value: number): FilterValue;
  greaterOrEqual(value: number): FilterValue;
  lessThan(value: number): FilterValue;
  lessOrEqual(value: number): FilterValue;
};

export function compileRemoteFilter(
  spec: FilterSpec | undefined,
  fields: Readonly<Record<string, MetadataFieldMapping>>,
  byProperty: ByProperty,
): CompiledRemoteFilter {
  // sift's own compiler validates the spec (and raises E_BAD_FILTER) exactly as local search does.
  if (compileFilter(spec) === undefined || spec === undefined) return { kind: 'all' };
  const clauses: FilterValue[] = [];
  for (const [field, condition] of Object.entries(spec)) {
    const mapping = fields[field];
    // No document has this field: every condition on it fails.
    if (!mapping) return { kind: 'none' };
    const keysIn = (values: readonly FilterScalar[]) =>
      byProperty(mapping.keys).containsAny(values.map(metadataKey));
    if (typeof condition !== 'object') {
      clauses.push(keysIn([condition]));
      continue;
    }
    for (const [op, operand] of Object.entries(condition)) {
      if (op === 'eq') clauses.push(keysIn([operand as FilterScalar]));
      else if (op === 'in') clauses.push(keysIn(operand as FilterScalar[]));
      else {
        // Ranges hold only for single numbers; a field that never holds one fails them all.
        if (!mapping.numbers) return { kind: 'none' };
        const property = byProperty(mapping.numbers);
        const bound = operand as number;
        if (op === 'gt') clauses.push(property.greaterThan(bound));
        else if (op === 'gte') clauses.push(property.greaterOrEqual(bound));
        else if (op === 'lt') clauses.push(property.lessThan(bound));
        else clauses.push(property.lessOrEqual(bound));
      }
    }
  }
  if (clauses.length === 0) return { kind: 'all' };
  return { kind: 'where', where: clauses.length === 1 ? clauses[0]! : Filters.and(...clauses) };
}
