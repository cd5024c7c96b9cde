// Seniority levels: how common each is, how it moves pay and experience, and how it shapes a job title.

import type { Random } from '../util/index.js';
import type { EmploymentType, JobFamily, Seniority } from './types.js';

export interface LevelProfile {
  /** Relative share of postings at this level. */
  weight: number;
  /** Pay against the family's mid-level base, in percent. */
  salaryPercent: number;
  /** Years of experience a posting asks for, drawn in [min, max]. */
  years: readonly [number, number];
}

export const levelProfiles: Readonly<Record<Seniority, LevelProfile>> = {
  intern: { weight: 4, salaryPercent: 45, years: [0, 0] },
  junior: { weight: 16, salaryPercent: 75, years: [0, 2] },
  mid: { weight: 32, salaryPercent: 100, years: [2, 5] },
  senior: { weight: 26, salaryPercent: 130, years: [5, 8] },
  lead: { weight: 8, salaryPercent: 155, years: [7, 10] },
  principal: { weight: 3, salaryPercent: 180, years: [10, 15] },
  manager: { weight: 7, salaryPercent: 160, years: [6, 10] },
  director: { weight: 4, salaryPercent: 210, years: [10, 15] },
};

// Patterns wrap a base title; `{t}` is the base. The word a pattern adds is skipped when the base already
// holds it, so "Sales Associate" never becomes "Associate Sales Associate".
const patterns: Readonly<Record<'junior' | 'mid' | 'senior' | 'lead' | 'principal', readonly string[]>> = {
  junior: ['Junior {t}', 'Associate {t}', 'Entry-Level {t}', '{t} I'],
  mid: ['{t}', '{t}', '{t}', '{t} II'],
  senior: ['Senior {t}', 'Senior {t}', 'Sr. {t}', '{t} III'],
  lead: ['Lead {t}', 'Staff {t}'],
  principal: ['Principal {t}'],
};

function addedWord(pattern: string): string {
  return pattern.replace('{t}', '').trim().toLowerCase();
}

/** The posting title for a base title at a level, e.g. ("Data Scientist", senior) → "Senior Data Scientist". */
export function composeTitle(family: JobFamily, level: Seniority, base: string, rng: Random): string {
  switch (level) {
    case 'manager':
      return rng.pick(family.managerTitles);
    case 'director':
      return rng.pick(family.directorTitles);
    case 'intern':
      return family.internTitles !== undefined ? rng.pick(family.internTitles) : `${base} Intern`;
    default: {
      const baseWords = base.toLowerCase().split(/\s+/);
      // "Staff" reads as a level only in software-style ladders; elsewhere ("Staff Nurse") it is a job.
      const usable = patterns[level].filter((pattern) => {
        const word = addedWord(pattern);
        if (word === 'staff' && !family.sectors.includes('tech')) return false;
        return word === '' || !baseWords.includes(word);
      });
      const pattern = usable.length > 0 ? rng.pick(usable) : '{t}';
      return pattern.replace('{t}', base);
    }
  }
}

/** Leadership roles are hired as permanent staff; interns are always on an internship. */
export function drawEmploymentType(level: Seniority, rng: Random): EmploymentType {
  if (level === 'intern') return 'internship';
  if (level === 'manager' || level === 'director') return rng.chance(0.06) ? 'contract' : 'full-time';
  return rng.weighted(['full-time', 'part-time', 'contract', 'temporary'] as const, [78, 9, 10, 3]);
}
