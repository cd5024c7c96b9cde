// The seeded job-postings generator: posting i of seed s is always the same Doc, whatever the count.

import { SiftError } from '../errors.js';
import type { Doc, MetadataValue } from '../ingest/index.js';
import { checkSeed, createRandom, deriveSeed } from '../util/index.js';
import { drawJobFacts, type JobFacts } from './posting-facts.js';
import { renderPostingText } from './posting-text.js';

export interface JobPostingOptions {
  seed: number;
  count: number;
  /** Index of the first posting; lets a caller generate a large collection in slices. */
  start?: number;
}

/** Bumped whenever a change to the vocabulary or templates changes the output for a given seed. */
export const jobGeneratorVersion = 1;

export function checkCount(count: number, what: string): number {
  if (!Number.isInteger(count) || count < 0) {
    throw new SiftError('E_BAD_ARGUMENT', `${what} must be a non-negative integer, got ${count}`);
  }
  return count;
}

/** The metadata every generated posting carries; `family` is the ground truth that queries are graded on. */
export function postingMetadata(f: JobFacts): Record<string, MetadataValue> {
  return {
    company: f.company.name,
    location: f.location.city,
    region: f.location.region,
    country: f.location.country,
    workplace: f.workplace,
    seniority: f.seniority,
    employmentType: f.employmentType,
    family: f.family.id,
    skills: [...f.requiredSkills, ...f.bonusSkills],
    salaryMin: f.salaryMin,
    salaryMax: f.salaryMax,
    postedDaysAgo: f.postedDaysAgo,
  };
}

// Facts and text draw from separate streams, so the facts of every posting can be drawn once, kept, and
// turned into text later one at a time (buildJobCollection) with the same result as drawing both at once.
function factsOf(seed: number, index: number): JobFacts {
  return drawJobFacts(index, createRandom(deriveSeed(seed, 'job-facts', index)));
}

/** The full posting for facts drawn by factsOf(seed, index). */
export function postingFromFacts(seed: number, index: number, facts: JobFacts): Doc {
  const text = renderPostingText(facts, createRandom(deriveSeed(seed, 'job-text', index)));
  return { id: facts.id, title: facts.title, text, metadata: postingMetadata(facts) };
}

/** The posting's facts as a Doc with empty text: all that grading and query writing read. */
export function skeletonFromFacts(facts: JobFacts): Doc {
  return { id: facts.id, title: facts.title, text: '', metadata: postingMetadata(facts) };
}

/** One posting, drawn from its own streams so that it never depends on the postings before it. */
export function generateJobPosting(seed: number, index: number): Doc {
  checkSeed(seed);
  checkCount(index, 'index');
  return postingFromFacts(seed, index, factsOf(seed, index));
}

/** Postings one at a time, for writers that stream a large collection without holding it. */
export function* jobPostings(options: JobPostingOptions): Generator<Doc> {
  const seed = checkSeed(options.seed);
  const count = checkCount(options.count, 'count');
  const start = checkCount(options.start ?? 0, 'start');
  for (let index = start; index < start + count; index += 1)
    yield postingFromFacts(seed, index, factsOf(seed, index));
}

export function generateJobPostings(options: JobPostingOptions): Doc[] {
  return [...jobPostings(options)];
}

/** The facts of a range of postings, for callers that grade first and render later. */
export function generateJobFacts(options: JobPostingOptions): JobFacts[] {
  const seed = checkSeed(options.seed);
  const count = checkCount(options.count, 'count');
  const start = checkCount(options.start ?? 0, 'start');
  const facts: JobFacts[] = [];
  for (let index = start; index < start + count; index += 1) facts.push(factsOf(seed, index));
  return facts;
}

/**
 * The postings with empty text: the same ids, titles and metadata as generateJobPostings, at a fraction of
 * the cost and memory. Query generation needs nothing more.
 */
export function generateJobPostingSkeletons(options: JobPostingOptions): Doc[] {
  return generateJobFacts(options).map(skeletonFromFacts);
}
