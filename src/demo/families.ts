// All job families in one list, with lookup by id and the symmetric "related family" relation.

import { SiftError } from '../errors.js';
import { businessFamilies } from './families-business.js';
import { careFamilies } from './families-care.js';
import { officeFamilies } from './families-office.js';
import { techFamilies } from './families-tech.js';
import { tradesFamilies } from './families-trades.js';
import type { JobFamily } from './types.js';

/** Every family, in a fixed order: generation depends on this order, so append rather than reorder. */
export const jobFamilies: readonly JobFamily[] = [
  ...techFamilies,
  ...officeFamilies,
  ...businessFamilies,
  ...careFamilies,
  ...tradesFamilies,
];

const byId = new Map(jobFamilies.map((family) => [family.id, family]));

export function familyById(id: string): JobFamily {
  const family = byId.get(id);
  if (family === undefined) throw new SiftError('E_BAD_ARGUMENT', `unknown job family "${id}"`);
  return family;
}

export function isFamilyId(id: string): boolean {
  return byId.has(id);
}

// Relatedness is judged from both sides: if a data engineer posting helps a data scientist searcher,
// the reverse holds too, so each declared link is added in both directions.
const relatedSets = new Map<string, Set<string>>(jobFamilies.map((family) => [family.id, new Set<string>()]));
for (const family of jobFamilies) {
  for (const other of family.related) {
    if (!byId.has(other)) {
      throw new SiftError('E_BAD_ARGUMENT', `family "${family.id}" lists unknown related family "${other}"`);
    }
    if (other === family.id) continue;
    relatedSets.get(family.id)?.add(other);
    relatedSets.get(other)?.add(family.id);
  }
}

/** The families related to this one (never the family itself), in family order. */
export function relatedFamilies(id: string): string[] {
  const set = relatedSets.get(id);
  if (set === undefined) throw new SiftError('E_BAD_ARGUMENT', `unknown job family "${id}"`);
  return jobFamilies.filter((family) => set.has(family.id)).map((family) => family.id);
}

export function areRelatedFamilies(a: string, b: string): boolean {
  return relatedSets.get(a)?.has(b) ?? false;
}
