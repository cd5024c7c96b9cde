// The demo collection generator's public face: synthetic job postings, searcher queries, graded qrels, BEIR files.

export {
  type BuildJobCollectionOptions,
  buildJobCollection,
  collectionFiles,
  defaultPostingCount,
  defaultQueryCount,
  type JobCollectionStats,
  type WriteJobCollectionOptions,
  writeJobCollection,
} from './collection.js';
export { companies } from './companies.js';
export {
  DEMO_SEED,
  type DemoCollection,
  type DemoCollectionOptions,
  ensureDemoCollection,
} from './demo-collection.js';
export { areRelatedFamilies, familyById, jobFamilies, relatedFamilies } from './families.js';
export {
  constraintViolations,
  type Grade,
  gradeJob,
  gradeTable,
  type JobIntent,
  type JobView,
  jobViewFromMetadata,
  type TopicMatch,
  topicMatch,
} from './grading.js';
export {
  generateJobPosting,
  generateJobPostingSkeletons,
  generateJobPostings,
  type JobPostingOptions,
  jobGeneratorVersion,
  jobPostings,
} from './job-postings.js';
export { cities, placeName, remoteCity, remoteZones } from './locations.js';
export { generateJobQueries, type JobQueryOptions, type JobQuerySet } from './queries.js';
export { type JobQueryKind, jobQueryKinds } from './query-drafts.js';
export {
  type Company,
  type EmploymentType,
  employmentTypes,
  type JobFamily,
  type Location,
  type Sector,
  type Seniority,
  seniorities,
  type Workplace,
  workplaces,
} from './types.js';
