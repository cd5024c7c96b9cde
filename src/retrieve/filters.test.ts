import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSiftError } from '../errors.js';
import { compileFilter, parseFilterArgs } from './filters.js';

const berlinSenior = { location: 'Berlin', seniority: 'senior', salaryMin: 90000, skills: ['python', 'sql'] };
const parisJunior = { location: 'Paris', seniority: 'junior', salaryMin: 45000, skills: ['java'] };

test('equality is case-insensitive and matches inside list fields', () => {
  const match = compileFilter({ location: 'berlin', skills: 'SQL' })!;
  assert.equal(match(berlinSenior), true);
  assert.equal(match(parisJunior), false);
});

test('ranges and set membership combine with AND', () => {
  const match = compileFilter({
    salaryMin: { gte: 50000, lt: 100000 },
    seniority: { in: ['senior', 'staff'] },
  })!;
  assert.equal(match(berlinSenior), true);
  assert.equal(match({ ...berlinSenior, salaryMin: 100000 }), false);
  assert.equal(match(parisJunior), false);
});

test('a missing field fails every condition; no filter compiles to undefined', () => {
  assert.equal(compileFilter({ company: 'Acme' })!(berlinSenior), false);
  assert.equal(compileFilter({}), undefined);
  assert.equal(compileFilter(undefined), undefined);
});

test('malformed filters name the field', () => {
  for (const spec of [
    { salaryMin: { gte: 'a lot' } },
    { location: { near: 'x' } },
    { seniority: { in: [] } },
  ]) {
    assert.throws(
      () => compileFilter(spec as never),
      (error) => isSiftError(error, 'E_BAD_FILTER') && typeof error.context.field === 'string',
    );
  }
});

test('command-line filters parse to the same spec', () => {
  const spec = parseFilterArgs([
    'location=Berlin',
    'salaryMin>=90000',
    'salaryMin<200000',
    'seniority in senior,staff',
  ]);
  assert.deepEqual(spec, {
    location: { eq: 'Berlin' },
    salaryMin: { gte: 90000, lt: 200000 },
    seniority: { in: ['senior', 'staff'] },
  });
  assert.equal(compileFilter(spec)!(berlinSenior), true);
  assert.throws(
    () => parseFilterArgs(['nonsense']),
    (error) => isSiftError(error, 'E_BAD_FILTER'),
  );
});
