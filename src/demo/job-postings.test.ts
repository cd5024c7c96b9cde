// Tests for the job-postings generator: determinism, independence of postings, lengths and metadata.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSiftError } from '../errors.js';
import { familyById } from './families.js';
import {
  generateJobPosting,
  generateJobPostingSkeletons,
  generateJobPostings,
  jobPostings,
} from './job-postings.js';
import { remoteCity } from './locations.js';
import { formatUsd, formatUsdShort, wordCount } from './text.js';
import { employmentTypes, seniorities, workplaces } from './types.js';

const sample = generateJobPostings({ seed: 2024, count: 1500 });

describe('generateJobPostings', () => {
  it('gives identical output for the same seed and different output for another', () => {
    const again = generateJobPostings({ seed: 2024, count: 1500 });
    assert.equal(JSON.stringify(again), JSON.stringify(sample));
    const other = generateJobPostings({ seed: 2025, count: 1500 });
    assert.notEqual(JSON.stringify(other), JSON.stringify(sample));
  });

  it('draws each posting on its own, so a larger collection starts with the smaller one', () => {
    const small = generateJobPostings({ seed: 2024, count: 40 });
    assert.deepEqual(small, sample.slice(0, 40));
    assert.deepEqual(generateJobPosting(2024, 777), sample[777]);
    assert.deepEqual([...jobPostings({ seed: 2024, count: 5, start: 100 })], sample.slice(100, 105));
  });

  it('numbers ids job-000000 upward without gaps', () => {
    for (const [index, doc] of sample.entries())
      assert.equal(doc.id, `job-${String(index).padStart(6, '0')}`);
  });

  it('spreads lengths from about 40 to about 600 words', () => {
    const lengths = sample.map((doc) => wordCount(doc.text));
    const min = Math.min(...lengths);
    const max = Math.max(...lengths);
    assert.ok(min >= 40, `shortest has ${min} words`);
    assert.ok(max <= 650, `longest has ${max} words`);
    assert.ok(lengths.filter((n) => n < 100).length > sample.length * 0.1, 'too few short postings');
    assert.ok(lengths.filter((n) => n > 400).length > sample.length * 0.1, 'too few long postings');
  });

  it('writes postings that differ from one another', () => {
    assert.equal(new Set(sample.map((doc) => doc.text)).size, sample.length);
    const openings = new Set(sample.map((doc) => doc.text.split(/[.:\n]/)[0]));
    assert.ok(openings.size > sample.length * 0.5, `${openings.size} distinct openings`);
  });

  it('gives every posting well-typed metadata', () => {
    for (const doc of sample) {
      const m = doc.metadata;
      for (const key of ['company', 'location', 'region', 'country', 'family']) {
        assert.equal(typeof m[key], 'string', `${doc.id} ${key}`);
      }
      assert.ok((workplaces as readonly unknown[]).includes(m['workplace']));
      assert.ok((seniorities as readonly unknown[]).includes(m['seniority']));
      assert.ok((employmentTypes as readonly unknown[]).includes(m['employmentType']));
      const family = familyById(m['family'] as string);
      assert.ok(family.levels.includes(m['seniority'] as (typeof seniorities)[number]));
      const skills = m['skills'];
      assert.ok(Array.isArray(skills) && skills.length >= 2 && skills.every((s) => typeof s === 'string'));
      const { salaryMin, salaryMax, postedDaysAgo } = m;
      assert.ok(typeof salaryMin === 'number' && typeof salaryMax === 'number' && salaryMin < salaryMax);
      assert.ok(salaryMin % 1000 === 0 && salaryMax % 1000 === 0);
      assert.ok(typeof postedDaysAgo === 'number' && postedDaysAgo >= 0 && postedDaysAgo <= 60);
      if (m['location'] === remoteCity) assert.equal(m['workplace'], 'remote');
      if (m['seniority'] === 'intern') assert.equal(m['employmentType'], 'internship');
    }
  });

  it('states in the text what the metadata says: every skill, the pay and the title', () => {
    for (const doc of sample) {
      assert.ok(doc.text.includes(doc.title), `${doc.id} text lacks its title`);
      for (const skill of doc.metadata['skills'] as string[])
        assert.ok(doc.text.includes(skill), `${doc.id} ${skill}`);
      const min = doc.metadata['salaryMin'] as number;
      assert.ok(doc.text.includes(formatUsd(min)) || doc.text.includes(formatUsdShort(min)), `${doc.id} pay`);
    }
  });

  it('pays more for senior roles and expensive cities, as a searcher would expect', () => {
    const mean = (filter: (m: Record<string, unknown>) => boolean): number => {
      const pay = sample
        .filter((doc) => filter(doc.metadata))
        .map((doc) => doc.metadata['salaryMax'] as number);
      return pay.reduce((a, b) => a + b, 0) / pay.length;
    };
    assert.ok(mean((m) => m['seniority'] === 'senior') > mean((m) => m['seniority'] === 'junior'));
    assert.ok(mean((m) => m['location'] === 'San Francisco') > mean((m) => m['location'] === 'Bangalore'));
  });

  it('uses many families, companies and places', () => {
    const distinct = (key: string) => new Set(sample.map((doc) => doc.metadata[key])).size;
    assert.ok(distinct('family') >= 40);
    assert.ok(distinct('company') >= 55);
    assert.ok(distinct('location') >= 45);
  });

  it('rejects a bad seed or count', () => {
    assert.throws(
      () => generateJobPostings({ seed: -1, count: 1 }),
      (e) => isSiftError(e, 'E_BAD_ARGUMENT'),
    );
    assert.throws(
      () => generateJobPostings({ seed: 1, count: 2.5 }),
      (e) => isSiftError(e, 'E_BAD_ARGUMENT'),
    );
    assert.deepEqual(generateJobPostings({ seed: 1, count: 0 }), []);
  });
});

describe('generateJobPostingSkeletons', () => {
  it('matches the full postings in everything but the text', () => {
    const skeletons = generateJobPostingSkeletons({ seed: 2024, count: 200 });
    skeletons.forEach((skeleton, i) => {
      const full = sample[i];
      assert.ok(full !== undefined);
      assert.equal(skeleton.text, '');
      assert.deepEqual({ ...skeleton, text: full.text }, full);
    });
  });
});
