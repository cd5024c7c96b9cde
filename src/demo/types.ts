// The shapes of the demo vocabulary: job families, companies, places and the job attributes they combine into.

export const seniorities = [
  'intern',
  'junior',
  'mid',
  'senior',
  'lead',
  'principal',
  'manager',
  'director',
] as const;
export type Seniority = (typeof seniorities)[number];

export const workplaces = ['on-site', 'hybrid', 'remote'] as const;
export type Workplace = (typeof workplaces)[number];

export const employmentTypes = ['full-time', 'part-time', 'contract', 'temporary', 'internship'] as const;
export type EmploymentType = (typeof employmentTypes)[number];

/** Which kind of employer a family is usually hired by; companies carry one sector each. */
export type Sector =
  | 'tech'
  | 'finance'
  | 'health'
  | 'education'
  | 'industrial'
  | 'retail'
  | 'logistics'
  | 'hospitality'
  | 'legal'
  | 'media';

/** One occupation: the ground-truth label every posting carries and every query's grade is judged against. */
export interface JobFamily {
  id: string;
  /** The field as a noun phrase, for natural-language queries ("nursing", "data science"). */
  field: string;
  /** Title variants a posting may use for a mid-level role; seniority words are added around them. */
  titles: readonly string[];
  managerTitles: readonly string[];
  directorTitles: readonly string[];
  /** Titles for the intern level where "<title> Intern" would read wrong (e.g. "Apprentice Electrician"). */
  internTitles?: readonly string[];
  /** Searcher phrasings that share no word with any title of the family: the synonym queries. */
  aliases: readonly string[];
  /** Families a searcher for this one would find partly useful; made symmetric when loaded. */
  related: readonly string[];
  sectors: readonly Sector[];
  coreSkills: readonly string[];
  optionalSkills: readonly string[];
  /** Responsibilities, each a verb phrase that follows "You will ..." or a bullet. */
  duties: readonly string[];
  teams: readonly string[];
  /** Licences, degrees or certificates a posting may ask for. */
  credentials: readonly string[];
  /** Annual base pay in USD for a mid-level role in an average-cost US city. */
  baseSalary: number;
  /** Relative share of on-site, hybrid and remote postings, in that order. */
  workplaceMix: readonly [number, number, number];
  /** Seniority levels that exist for this family (e.g. no principal nurse). */
  levels: readonly Seniority[];
  /** How common the family is among postings, relative to the others. */
  weight: number;
}

export interface Company {
  name: string;
  sector: Sector;
  /** What the company does, a verb phrase after the name ("builds payroll software for ..."). */
  does: string;
  /** Head count, so blurbs can say "a team of 40" or "12,000 people". */
  size: number;
  founded: number;
}

export interface Location {
  /** The city, or 'Remote' for a remote-only hiring zone. */
  city: string;
  region: string;
  country: string;
  /** Pay level against an average-cost US city, in percent (San Francisco 135, Bangalore 25). */
  costPercent: number;
  /** How many postings the place draws, relative to the others. */
  weight: number;
}
