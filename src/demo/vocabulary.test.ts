// Tests for the demo vocabulary: families, aliases, relations, employers and places are consistent.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRandom } from '../util/index.js';
import { companies } from './companies.js';
import { areRelatedFamilies, familyById, jobFamilies, relatedFamilies } from './families.js';
import { composeTitle, levelProfiles } from './levels.js';
import { cities, countryName, placeName, remoteZones } from './locations.js';
import { article, formatUsd, joinList, sentenceWords, wordCount, wordTokens } from './text.js';
import { seniorities } from './types.js';

const glueWords = new Set(['a', 'an', 'and', 'the', 'of', 'in', 'for', 'to', 'on', 'it', 'with']);

describe('job families', () => {
  it('has about forty families with unique ids', () => {
    assert.ok(jobFamilies.length >= 40, `${jobFamilies.length} families`);
    assert.equal(new Set(jobFamilies.map((family) => family.id)).size, jobFamilies.length);
  });

  it('gives every family titles, aliases, skills, duties and a positive salary', () => {
    for (const family of jobFamilies) {
      assert.ok(family.titles.length >= 3, family.id);
      assert.ok(family.managerTitles.length >= 1 && family.directorTitles.length >= 1, family.id);
      assert.ok(family.aliases.length >= 2, family.id);
      assert.ok(family.coreSkills.length >= 5 && family.optionalSkills.length >= 5, family.id);
      assert.ok(family.duties.length >= 5 && family.teams.length >= 2, family.id);
      assert.ok(family.baseSalary > 0 && family.weight > 0 && family.levels.length > 0, family.id);
      assert.ok(
        family.workplaceMix.some((share) => share > 0),
        family.id,
      );
    }
  });

  it('keeps aliases free of every word of the family titles, so synonym queries test meaning', () => {
    for (const family of jobFamilies) {
      const titles = [
        ...family.titles,
        ...family.managerTitles,
        ...family.directorTitles,
        ...(family.internTitles ?? []),
      ];
      const titleWords = new Set(titles.flatMap(wordTokens));
      for (const alias of family.aliases) {
        const shared = wordTokens(alias).filter((word) => !glueWords.has(word) && titleWords.has(word));
        assert.deepEqual(shared, [], `${family.id} alias "${alias}"`);
      }
    }
  });

  it('keeps a family core and optional skills apart', () => {
    for (const family of jobFamilies) {
      const overlap = family.coreSkills.filter((skill) => family.optionalSkills.includes(skill));
      assert.deepEqual(overlap, [], family.id);
    }
  });

  it('has a symmetric, irreflexive relation between known families', () => {
    for (const family of jobFamilies) {
      for (const other of relatedFamilies(family.id)) {
        assert.notEqual(other, family.id);
        assert.ok(areRelatedFamilies(other, family.id), `${other} ~ ${family.id}`);
        familyById(other);
      }
      for (const declared of family.related) assert.ok(areRelatedFamilies(family.id, declared));
    }
    assert.ok(areRelatedFamilies('data-engineer', 'data-scientist'));
    assert.ok(!areRelatedFamilies('registered-nurse', 'software-engineer'));
  });

  it('composes a title for every level a family allows', () => {
    const rng = createRandom(3);
    for (const family of jobFamilies) {
      for (const level of family.levels) {
        const base = family.titles[0] as string;
        const title = composeTitle(family, level, base, rng);
        assert.ok(title.length > 0, `${family.id} ${level}`);
        assert.ok(!/\b(\w+) \1\b/i.test(title), `doubled word in "${title}"`);
      }
    }
    assert.ok(seniorities.every((level) => levelProfiles[level].salaryPercent > 0));
  });
});

describe('employers and places', () => {
  it('has about sixty uniquely named companies and fifty cities plus remote zones', () => {
    assert.ok(companies.length >= 60);
    assert.equal(new Set(companies.map((company) => company.name)).size, companies.length);
    assert.ok(cities.length >= 50);
    assert.equal(new Set(cities.map((place) => place.city)).size, cities.length);
    assert.ok(remoteZones.length >= 1);
  });

  it('names places the way a posting would', () => {
    const austin = cities.find((place) => place.city === 'Austin');
    const berlin = cities.find((place) => place.city === 'Berlin');
    assert.ok(austin !== undefined && berlin !== undefined);
    assert.equal(placeName(austin), 'Austin, Texas');
    assert.equal(placeName(berlin), 'Berlin, Germany');
    assert.equal(countryName('United States'), 'the United States');
    assert.equal(countryName('Germany'), 'Germany');
  });
});

describe('text helpers', () => {
  it('formats money, lists and articles without locale data', () => {
    assert.equal(formatUsd(1234567), '$1,234,567');
    assert.equal(formatUsd(950), '$950');
    assert.equal(joinList(['a', 'b', 'c']), 'a, b and c');
    assert.equal(joinList(['a', 'b'], 'or'), 'a or b');
    assert.equal(article('Accountant'), 'an');
    assert.equal(article('UX Designer'), 'a');
    assert.equal(article('HR Generalist'), 'an');
  });

  it('counts words across spaces, tabs and line breaks', () => {
    assert.equal(wordCount(''), 0);
    assert.equal(wordCount('   '), 0);
    assert.equal(wordCount('one'), 1);
    assert.equal(wordCount(' one  two '), 2);
    assert.equal(wordCount('Heading:\n- first item.\n\nNext\tpara\r\nend'), 7);
    assert.equal(sentenceWords('You will ship it.'), 4);
    assert.equal(sentenceWords(''), 0);
  });
});
