// Generates searcher queries over a generated postings collection, with graded qrels from the ground truth.
//
// Each query is written from an anchor posting (query-drafts.ts) and graded against every posting by the
// rules in grading.ts. The qrels are complete above zero: every posting with grade >= 1 is listed, so no
// relevant posting is ever unjudged. A few grade-0 postings are listed too: "hard" negatives whose title
// shares a word with the query but whose family is neither the one asked for nor related ("software
// engineer" → "Mechanical Engineer"), and a couple of random ones.

import { SiftError } from '../errors.js';
import type { Doc, Qrels, Query } from '../ingest/index.js';
import { checkSeed, createRandom, deriveSeed, type Random } from '../util/index.js';
import { familyById, relatedFamilies } from './families.js';
import { gradeJob, type JobIntent, type JobView, jobViewFromMetadata } from './grading.js';
import { checkCount } from './job-postings.js';
import {
  draftQuery,
  type JobQueryKind,
  jobQueryKinds,
  jobQueryKindWeights,
  type QueryAnchor,
  type QueryDraft,
} from './query-drafts.js';
import { wordTokens } from './text.js';
import {
  type EmploymentType,
  employmentTypes,
  type Seniority,
  seniorities,
  type Workplace,
  workplaces,
} from './types.js';

export interface JobQueryOptions {
  seed: number;
  count: number;
  /** Generated postings; only id, title and metadata are read, so text-less skeletons will do. */
  postings: ReadonlyArray<Pick<Doc, 'id' | 'title' | 'metadata'>>;
}

export interface JobQuerySet {
  /** metadata: { kind, intent, anchor } — the query kind, what it is graded against, and its anchor posting. */
  queries: Query[];
  qrels: Qrels;
}

/** At most this many sampled grade-0 judgments per query, of each sort. */
export const hardNegativesPerQuery = 3;
export const randomNegativesPerQuery = 2;

// Words too common in queries or titles to make a negative "hard": sharing them says nothing.
const weakWords = new Set([
  'a',
  'an',
  'and',
  'any',
  'around',
  'entry',
  'experience',
  'find',
  'for',
  'graduate',
  'i',
  'in',
  'job',
  'jobs',
  'junior',
  'lead',
  'level',
  'looking',
  'me',
  'mid',
  'near',
  'of',
  'opening',
  'openings',
  'position',
  'positions',
  'principal',
  'remote',
  'hybrid',
  'role',
  'roles',
  'senior',
  'show',
  'sr',
  'the',
  'to',
  'want',
  'with',
]);

interface Entry {
  id: string;
  view: JobView;
  anchor: QueryAnchor;
}

function asMember<T extends string>(value: string, allowed: readonly T[], what: string, docId: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new SiftError('E_BAD_ARGUMENT', `posting ${docId} has an unknown ${what} "${value}"`, {
      field: what,
    });
  }
  return value as T;
}

function toEntry(doc: Pick<Doc, 'id' | 'metadata'>): Entry {
  const view = jobViewFromMetadata(doc.metadata, doc.id);
  const skills = doc.metadata['skills'];
  const anchor: QueryAnchor = {
    family: familyById(view.family),
    seniority: asMember<Seniority>(view.seniority, seniorities, 'seniority', doc.id),
    location: view.location,
    country: view.country,
    workplace: asMember<Workplace>(view.workplace, workplaces, 'workplace', doc.id),
    employmentType: asMember<EmploymentType>(view.employmentType, employmentTypes, 'employmentType', doc.id),
    skills: Array.isArray(skills) ? skills.map(String) : [],
    salaryMax: view.salaryMax,
  };
  return { id: doc.id, view, anchor };
}

function pushTo(map: Map<string, number[]>, key: string, index: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [index]);
  else list.push(index);
}

/** Postings looked up by family, by skill and by title word, so grading never scans the whole collection. */
class PostingIndex {
  readonly entries: Entry[];
  private readonly byFamily = new Map<string, number[]>();
  private readonly bySkill = new Map<string, number[]>();
  private readonly byTitleWord = new Map<string, number[]>();

  constructor(postings: JobQueryOptions['postings']) {
    this.entries = postings.map(toEntry);
    postings.forEach((doc, index) => {
      const entry = this.entries[index] as Entry;
      pushTo(this.byFamily, entry.view.family, index);
      for (const skill of new Set(entry.view.skills)) pushTo(this.bySkill, skill, index);
      for (const word of new Set(wordTokens(doc.title))) pushTo(this.byTitleWord, word, index);
    });
  }

  /** Every posting that can grade above zero, unordered: the family and its relatives, or holders of a skill. */
  candidates(intent: JobIntent): number[] {
    if (intent.family !== undefined) {
      const families = [intent.family, ...relatedFamilies(intent.family)];
      return families.flatMap((family) => this.byFamily.get(family) ?? []);
    }
    const found = new Set<number>();
    for (const skill of intent.skills ?? []) {
      for (const index of this.bySkill.get(skill.toLowerCase()) ?? []) found.add(index);
    }
    return [...found];
  }

  titleWordPostings(word: string): readonly number[] {
    return this.byTitleWord.get(word) ?? [];
  }
}

/**
 * The judged postings of one query, in posting order, with their grades. A flat grade array (-1 = not
 * judged) and a native sort of the judged indices keep this cheap at 100,000 postings.
 */
function judge(
  index: PostingIndex,
  draft: QueryDraft,
  rng: Random,
): { order: Int32Array; grades: Int8Array } {
  const grades = new Int8Array(index.entries.length).fill(-1);
  const judged: number[] = [];
  for (const i of index.candidates(draft.intent)) {
    const grade = gradeJob(draft.intent, (index.entries[i] as Entry).view);
    if (grade > 0) {
      grades[i] = grade;
      judged.push(i);
    }
  }
  const addNegative = (i: number): boolean => {
    if (grades[i] !== -1 || gradeJob(draft.intent, (index.entries[i] as Entry).view) !== 0) return false;
    grades[i] = 0;
    judged.push(i);
    return true;
  };
  const words = wordTokens(draft.text).filter(
    (word) => !weakWords.has(word) && index.titleWordPostings(word).length > 0,
  );
  let hard = 0;
  for (let tries = 0; words.length > 0 && hard < hardNegativesPerQuery && tries < 30; tries += 1) {
    if (addNegative(rng.pick(index.titleWordPostings(rng.pick(words))))) hard += 1;
  }
  let random = 0;
  for (let tries = 0; random < randomNegativesPerQuery && tries < 10; tries += 1) {
    if (addNegative(rng.int(0, index.entries.length - 1))) random += 1;
  }
  return { order: Int32Array.from(judged).sort(), grades };
}

export function generateJobQueries(options: JobQueryOptions): JobQuerySet {
  const seed = checkSeed(options.seed);
  const count = checkCount(options.count, 'query count');
  const queries: Query[] = [];
  const qrels: Qrels = new Map();
  if (count === 0) return { queries, qrels };
  if (options.postings.length === 0) {
    throw new SiftError('E_BAD_ARGUMENT', 'queries need at least one posting to be written from');
  }
  const index = new PostingIndex(options.postings);
  const rng = createRandom(deriveSeed(seed, 'job-queries'));
  const seen = new Set<string>();
  const width = Math.max(4, String(count - 1).length);

  for (let q = 0; q < count; q += 1) {
    for (let attempt = 0; ; attempt += 1) {
      const anchorIndex = rng.int(0, index.entries.length - 1);
      const anchor = index.entries[anchorIndex] as Entry;
      const kind: JobQueryKind = rng.weighted(jobQueryKinds, jobQueryKindWeights);
      const draft = draftQuery(kind, anchor.anchor, rng);
      const key = draft.text.toLowerCase();
      // Repeated texts are skipped while fresh ones are easy to find; a tiny collection may run out.
      if (seen.has(key) && attempt < 50) continue;
      const { order, grades } = judge(index, draft, rng);
      const judgments = new Map<string, number>();
      let best = 0;
      for (let k = 0; k < order.length; k += 1) {
        const i = order[k] as number;
        const grade = grades[i] as number;
        judgments.set((index.entries[i] as Entry).id, grade);
        if (grade > best) best = grade;
      }
      if (best < 2) {
        // The anchor satisfies its own intent, so this means the grading rules and drafts disagree.
        throw new SiftError('E_BAD_ARGUMENT', `query "${draft.text}" has no posting graded 2 or more`);
      }
      seen.add(key);
      const id = `q-${String(q).padStart(width, '0')}`;
      queries.push({ id, text: draft.text, metadata: { kind, intent: draft.intent, anchor: anchor.id } });
      qrels.set(id, judgments);
      break;
    }
  }
  return { queries, qrels };
}
