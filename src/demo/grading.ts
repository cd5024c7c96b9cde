// The ground-truth relevance rules for generated job queries: grades come from posting metadata, never text.
//
// A query's intent names a topic and any number of constraints. The topic is
//   - for a family query ("backend engineer", "server-side programmer", "nurse in Toronto"): the job family.
//     A posting matches it exactly when its family is that family, is related when the two families are
//     declared related (families.ts; the relation is symmetric), and does not match otherwise;
//   - for a skill-only query ("python kubernetes jobs"): the skills. A posting matches exactly when it lists
//     every named skill, is related when it lists at least one, and does not match when it lists none.
// Each stated constraint is one check and counts one violation when it fails:
//   location  the posting's city is the named city (remote-only postings have no city);
//   country   the posting's country is the named country;
//   seniority the posting's level is one the wording accepts ("entry level" accepts intern and junior);
//   workplace the posting's workplace type (on-site, hybrid, remote) is the named one;
//   employmentType  the posting's employment type is the named one;
//   minSalary the top of the posted range reaches the amount (salaryMax >= minSalary);
//   skill     (family queries only, one check per skill) the posting lists the skill.
// The grade is then
//                  0 violations   1 violation   2+ violations
//   exact topic         3              2              1
//   related topic       2              1              0
//   no topic match      0              0              0
// so 3 = the job asked for with everything asked of it; 2 = the job with one thing wrong, or a neighbouring
// job with nothing wrong; 1 = the job with several things wrong, or a neighbouring job with one thing wrong.

import { SiftError } from '../errors.js';
import type { MetadataValue } from '../ingest/index.js';
import { areRelatedFamilies } from './families.js';
import type { EmploymentType, Seniority, Workplace } from './types.js';

/** What a searcher asked for, as the generator knows it. */
export interface JobIntent {
  /** The job family searched for; absent for skill-only queries. */
  family?: string;
  /** With a family, each skill is one constraint; without one, the skills are the topic. */
  skills?: string[];
  location?: string;
  country?: string;
  /** The levels the query's wording accepts, e.g. ["intern", "junior"] for "entry level". */
  seniority?: Seniority[];
  workplace?: Workplace;
  employmentType?: EmploymentType;
  /** Annual USD amount the posted range must reach. */
  minSalary?: number;
}

/** The posting fields grading reads, with skills lowercased for case-insensitive matching. */
export interface JobView {
  family: string;
  location: string;
  country: string;
  seniority: string;
  workplace: string;
  employmentType: string;
  skills: readonly string[];
  salaryMax: number;
}

export type Grade = 0 | 1 | 2 | 3;
export type TopicMatch = 'exact' | 'related' | 'none';

/** gradeTable[topic][min(violations, 2)]: the table in the comment above. */
export const gradeTable: Readonly<Record<TopicMatch, readonly [Grade, Grade, Grade]>> = {
  exact: [3, 2, 1],
  related: [2, 1, 0],
  none: [0, 0, 0],
};

function field(metadata: Record<string, MetadataValue>, name: string, docId: string): string {
  const value = metadata[name];
  if (typeof value !== 'string') {
    throw new SiftError('E_BAD_ARGUMENT', `posting ${docId} has no string metadata.${name}`, { field: name });
  }
  return value;
}

/** Reads a generated posting's metadata; fails on postings that did not come from the generator. */
export function jobViewFromMetadata(metadata: Record<string, MetadataValue>, docId = '?'): JobView {
  const skills = metadata['skills'];
  const salaryMax = metadata['salaryMax'];
  if (!Array.isArray(skills) || typeof salaryMax !== 'number') {
    throw new SiftError('E_BAD_ARGUMENT', `posting ${docId} lacks metadata.skills or metadata.salaryMax`);
  }
  return {
    family: field(metadata, 'family', docId),
    location: field(metadata, 'location', docId),
    country: field(metadata, 'country', docId),
    seniority: field(metadata, 'seniority', docId),
    workplace: field(metadata, 'workplace', docId),
    employmentType: field(metadata, 'employmentType', docId),
    skills: skills.map((skill) => String(skill).toLowerCase()),
    salaryMax,
  };
}

function hasSkill(job: JobView, skill: string): boolean {
  return job.skills.includes(skill.toLowerCase());
}

export function topicMatch(intent: JobIntent, job: JobView): TopicMatch {
  if (intent.family !== undefined) {
    if (job.family === intent.family) return 'exact';
    return areRelatedFamilies(intent.family, job.family) ? 'related' : 'none';
  }
  const skills = intent.skills ?? [];
  let matched = 0;
  for (const skill of skills) if (hasSkill(job, skill)) matched += 1;
  if (skills.length > 0 && matched === skills.length) return 'exact';
  return matched > 0 ? 'related' : 'none';
}

export function constraintViolations(intent: JobIntent, job: JobView): number {
  let violations = 0;
  if (intent.location !== undefined && job.location !== intent.location) violations += 1;
  if (intent.country !== undefined && job.country !== intent.country) violations += 1;
  if (intent.seniority !== undefined && !(intent.seniority as readonly string[]).includes(job.seniority)) {
    violations += 1;
  }
  if (intent.workplace !== undefined && job.workplace !== intent.workplace) violations += 1;
  if (intent.employmentType !== undefined && job.employmentType !== intent.employmentType) violations += 1;
  if (intent.minSalary !== undefined && job.salaryMax < intent.minSalary) violations += 1;
  // Skills are constraints only when a family is the topic; otherwise they already decided the topic.
  if (intent.family !== undefined) {
    for (const skill of intent.skills ?? []) if (!hasSkill(job, skill)) violations += 1;
  }
  return violations;
}

export function gradeJob(intent: JobIntent, job: JobView): Grade {
  const topic = topicMatch(intent, job);
  if (topic === 'none') return 0;
  return gradeTable[topic][Math.min(constraintViolations(intent, job), 2)] as Grade;
}
