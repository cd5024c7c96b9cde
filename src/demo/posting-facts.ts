// Draws the facts of one posting (family, level, title, employer, place, skills, pay) before any text is written.
//
// Facts come first and text second from the same stream, so a caller that needs only the facts (query
// generation over 100,000 postings) can draw them without rendering a single sentence.

import type { Random } from '../util/index.js';
import { companies, companiesInSectors } from './companies.js';
import { jobFamilies } from './families.js';
import { composeTitle, drawEmploymentType, levelProfiles } from './levels.js';
import { cities, cityWeights, remoteZones, remoteZoneWeights } from './locations.js';
import {
  type Company,
  type EmploymentType,
  type JobFamily,
  type Location,
  type Seniority,
  type Workplace,
  workplaces,
} from './types.js';

export interface JobFacts {
  id: string;
  family: JobFamily;
  seniority: Seniority;
  /** The family title variant the posting is built on, without seniority words. */
  baseTitle: string;
  title: string;
  company: Company;
  location: Location;
  workplace: Workplace;
  employmentType: EmploymentType;
  requiredSkills: string[];
  bonusSkills: string[];
  /** Annual pay in USD, whole thousands; part-time roles state the full-time equivalent. */
  salaryMin: number;
  salaryMax: number;
  postedDaysAgo: number;
  yearsMin: number;
  team: string;
}

const familyWeights = jobFamilies.map((family) => family.weight);
const employersByFamily = new Map(
  jobFamilies.map((family) => [family.id, companiesInSectors(family.sectors)]),
);

/** "job-000123": six digits keep ids sortable up to a million postings. */
export function jobId(index: number): string {
  return `job-${String(index).padStart(6, '0')}`;
}

function drawCompany(family: JobFamily, rng: Random): Company {
  // Most postings come from the family's usual sectors, but any employer hires an accountant now and
  // then; hands-on work (nursing, trades) stays with its own sectors, as an audit firm hires no nurses.
  const usual = employersByFamily.get(family.id) ?? [];
  const officeWork = family.workplaceMix[0] < 90;
  if (usual.length === 0 || (officeWork && rng.chance(0.12))) return rng.pick(companies);
  return rng.pick(usual);
}

function drawSalary(
  family: JobFamily,
  level: Seniority,
  place: Location,
  rng: Random,
): { salaryMin: number; salaryMax: number } {
  // Integer percents multiplied first and divided once: the result is the same on every machine.
  const middle =
    family.baseSalary * levelProfiles[level].salaryPercent * place.costPercent * rng.int(90, 110);
  const low = Math.max(1, Math.round((middle * rng.int(80, 92)) / 1e11));
  const high = Math.max(low + 1, Math.round((middle * rng.int(108, 125)) / 1e11));
  return { salaryMin: low * 1000, salaryMax: high * 1000 };
}

export function drawJobFacts(index: number, rng: Random): JobFacts {
  const family = rng.weighted(jobFamilies, familyWeights);
  const seniority = rng.weighted(
    family.levels,
    family.levels.map((level) => levelProfiles[level].weight),
  );
  const baseTitle = rng.pick(family.titles);
  const title = composeTitle(family, seniority, baseTitle, rng);
  const company = drawCompany(family, rng);
  const workplace = rng.weighted(workplaces, family.workplaceMix);
  const location =
    workplace === 'remote' && rng.chance(0.4)
      ? rng.weighted(remoteZones, remoteZoneWeights)
      : rng.weighted(cities, cityWeights);
  const employmentType = drawEmploymentType(seniority, rng);
  const requiredSkills = rng.sample(family.coreSkills, rng.int(2, Math.min(5, family.coreSkills.length)));
  const bonusSkills = rng.sample(family.optionalSkills, rng.int(0, 3));
  const { salaryMin, salaryMax } = drawSalary(family, seniority, location, rng);
  // Most listings are fresh: the smaller of two draws leans toward recent days.
  const postedDaysAgo = Math.min(rng.int(0, 60), rng.int(0, 60));
  const [fewestYears, mostYears] = levelProfiles[seniority].years;
  return {
    id: jobId(index),
    family,
    seniority,
    baseTitle,
    title,
    company,
    location,
    workplace,
    employmentType,
    requiredSkills,
    bonusSkills,
    salaryMin,
    salaryMax,
    postedDaysAgo,
    yearsMin: rng.int(fewestYears, mostYears),
    team: rng.pick(family.teams),
  };
}
