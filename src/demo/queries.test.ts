// Tests for query generation: determinism, a good match for every query, and grades that follow the rules.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Doc, MetadataValue } from '../ingest/index.js';
import { createRandom } from '../util/index.js';
import { familyById, jobFamilies } from './families.js';
import type { JobIntent } from './grading.js';
import { generateJobPostingSkeletons, generateJobPostings } from './job-postings.js';
import { generateJobQueries } from './queries.js';
import { jobQueryKinds } from './query-drafts.js';
import { wordTokens } from './text.js';

const postings = generateJobPostings({ seed: 99, count: 3000 });
const byId = new Map(postings.map((doc) => [doc.id, doc]));
const { queries, qrels } = generateJobQueries({ seed: 99, count: 200, postings });

function intentOf(queryId: string): JobIntent {
  const query = queries.find((q) => q.id === queryId);
  assert.ok(query?.metadata !== undefined);
  return query.metadata['intent'] as JobIntent;
}

/**
 * The grading rules re-derived here from the documentation in grading.ts, without its code: topic from
 * family (or skills), one violation per failed constraint, then the 3/2/1 · 2/1/0 table.
 */
function expectedGrade(intent: JobIntent, metadata: Record<string, MetadataValue>): number {
  const family = metadata['family'] as string;
  const skills = (metadata['skills'] as string[]).map((skill) => skill.toLowerCase());
  const has = (skill: string) => skills.includes(skill.toLowerCase());
  let topic: 'exact' | 'related' | 'none';
  if (intent.family !== undefined) {
    const asked = familyById(intent.family);
    const related = asked.related.includes(family) || familyById(family).related.includes(intent.family);
    topic = family === intent.family ? 'exact' : related ? 'related' : 'none';
  } else {
    const named = intent.skills ?? [];
    const matched = named.filter(has).length;
    topic = matched === named.length && matched > 0 ? 'exact' : matched > 0 ? 'related' : 'none';
  }
  let violations = 0;
  if (intent.location !== undefined && metadata['location'] !== intent.location) violations += 1;
  if (intent.country !== undefined && metadata['country'] !== intent.country) violations += 1;
  if (intent.seniority !== undefined && !intent.seniority.includes(metadata['seniority'] as never))
    violations += 1;
  if (intent.workplace !== undefined && metadata['workplace'] !== intent.workplace) violations += 1;
  if (intent.employmentType !== undefined && metadata['employmentType'] !== intent.employmentType)
    violations += 1;
  if (intent.minSalary !== undefined && (metadata['salaryMax'] as number) < intent.minSalary) violations += 1;
  if (intent.family !== undefined) violations += (intent.skills ?? []).filter((skill) => !has(skill)).length;
  if (topic === 'exact') return violations === 0 ? 3 : violations === 1 ? 2 : 1;
  if (topic === 'related') return violations === 0 ? 2 : violations === 1 ? 1 : 0;
  return 0;
}

describe('generateJobQueries', () => {
  it('gives identical queries and qrels for the same seed and different ones for another', () => {
    const again = generateJobQueries({ seed: 99, count: 200, postings });
    assert.deepEqual(again.queries, queries);
    assert.deepEqual(again.qrels, qrels);
    const other = generateJobQueries({ seed: 100, count: 200, postings });
    assert.notDeepEqual(
      other.queries.map((q) => q.text),
      queries.map((q) => q.text),
    );
  });

  it('needs only skeletons: text-less postings give the same queries and qrels', () => {
    const skeletons = generateJobPostingSkeletons({ seed: 99, count: 3000 });
    const fromSkeletons = generateJobQueries({ seed: 99, count: 200, postings: skeletons });
    assert.deepEqual(fromSkeletons.qrels, qrels);
    assert.deepEqual(fromSkeletons.queries, queries);
  });

  it('writes the requested number of distinct queries covering every kind', () => {
    assert.equal(queries.length, 200);
    assert.equal(new Set(queries.map((q) => q.id)).size, 200);
    assert.equal(new Set(queries.map((q) => q.text.toLowerCase())).size, 200);
    const kinds = new Set(queries.map((q) => q.metadata?.['kind']));
    for (const kind of jobQueryKinds) assert.ok(kinds.has(kind), `no ${kind} query`);
  });

  it('gives every query at least one posting graded 2 or more, and its anchor grade 3', () => {
    for (const query of queries) {
      const judged = qrels.get(query.id);
      assert.ok(judged !== undefined, query.id);
      assert.ok(
        [...judged.values()].some((grade) => grade >= 2),
        `${query.id} "${query.text}"`,
      );
      assert.equal(judged.get(query.metadata?.['anchor'] as string), 3, `${query.id} anchor`);
    }
  });

  it('grades every judged pair by the documented rules', () => {
    for (const [queryId, judged] of qrels) {
      const intent = intentOf(queryId);
      for (const [docId, grade] of judged) {
        const doc = byId.get(docId) as Doc;
        assert.equal(grade, expectedGrade(intent, doc.metadata), `${queryId} ${docId}`);
      }
    }
  });

  it('judges every posting that grades above zero, and sampled unjudged postings grade zero', () => {
    const rng = createRandom(5);
    for (const query of queries.slice(0, 60)) {
      const intent = intentOf(query.id);
      const judged = qrels.get(query.id) as Map<string, number>;
      for (let i = 0; i < 100; i += 1) {
        const doc = rng.pick(postings);
        if (!judged.has(doc.id))
          assert.equal(expectedGrade(intent, doc.metadata), 0, `${query.id} ${doc.id}`);
      }
    }
  });

  it('includes judged zeros, many of them hard negatives that share a title word with the query', () => {
    let zeros = 0;
    let hard = 0;
    for (const query of queries) {
      const words = new Set(wordTokens(query.text));
      for (const [docId, grade] of qrels.get(query.id) ?? []) {
        if (grade !== 0) continue;
        zeros += 1;
        const title = (byId.get(docId) as Doc).title;
        if (wordTokens(title).some((word) => words.has(word))) hard += 1;
      }
    }
    assert.ok(zeros >= 200, `${zeros} judged zeros`);
    assert.ok(hard >= 100, `${hard} hard negatives`);
  });

  it('writes synonym queries that share no word with the titles of their family', () => {
    const synonyms = queries.filter((q) => q.metadata?.['kind'] === 'synonym');
    assert.ok(synonyms.length > 0);
    for (const query of synonyms) {
      const family = familyById(intentOf(query.id).family as string);
      const titleWords = new Set(family.titles.flatMap(wordTokens));
      const shared = wordTokens(query.text).filter((word) => titleWords.has(word) && word !== 'jobs');
      assert.deepEqual(shared, [], query.text);
    }
  });

  it('uses only known families in intents', () => {
    const ids = new Set(jobFamilies.map((family) => family.id));
    for (const query of queries) {
      const { family } = intentOf(query.id);
      if (family !== undefined) assert.ok(ids.has(family));
    }
  });

  it('handles tiny collections and zero queries', () => {
    const few = generateJobPostings({ seed: 1, count: 3 });
    const small = generateJobQueries({ seed: 1, count: 20, postings: few });
    assert.equal(small.queries.length, 20);
    for (const query of small.queries) {
      assert.ok([...(small.qrels.get(query.id) ?? new Map()).values()].some((grade) => grade >= 2));
    }
    assert.deepEqual(generateJobQueries({ seed: 1, count: 0, postings: [] }).queries, []);
    assert.throws(() => generateJobQueries({ seed: 1, count: 1, postings: [] }));
  });
});
