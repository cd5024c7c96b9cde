// Writes one searcher query of a given kind from an anchor posting, with the intent it is graded against.
//
// Every stated constraint is read off the anchor, so the anchor itself always satisfies the intent and
// every query has at least one grade-3 posting.

import type { Random } from '../util/index.js';
import type { JobIntent } from './grading.js';
import { countryName, remoteCity } from './locations.js';
import { formatUsd, formatUsdShort, joinList, withArticle } from './text.js';
import type { EmploymentType, JobFamily, Seniority, Workplace } from './types.js';

export const jobQueryKinds = [
  'title',
  'synonym',
  'skill',
  'title-location',
  'seniority-title',
  'natural',
] as const;
export type JobQueryKind = (typeof jobQueryKinds)[number];

/** How often each kind is drawn, in jobQueryKinds order. */
export const jobQueryKindWeights: readonly number[] = [18, 14, 14, 16, 16, 22];

/** The anchor posting as query writing sees it: its family and the metadata a searcher could ask about. */
export interface QueryAnchor {
  family: JobFamily;
  seniority: Seniority;
  location: string;
  country: string;
  workplace: Workplace;
  employmentType: EmploymentType;
  /** Skills as the posting spells them. */
  skills: readonly string[];
  salaryMax: number;
}

export interface QueryDraft {
  text: string;
  intent: JobIntent;
}

interface SeniorityWording {
  words: string;
  accepts: Seniority[];
}

// What a level word in a query accepts. "entry level" and "graduate" admit interns as well as juniors,
// because searchers use them for any first job; the plain level words accept only their own level.
const seniorityWordings: Readonly<
  Record<Exclude<Seniority, 'manager' | 'director'>, readonly SeniorityWording[]>
> = {
  intern: [
    { words: 'intern', accepts: ['intern'] },
    { words: 'internship', accepts: ['intern'] },
  ],
  junior: [
    { words: 'junior', accepts: ['junior'] },
    { words: 'entry level', accepts: ['intern', 'junior'] },
    { words: 'graduate', accepts: ['intern', 'junior'] },
  ],
  mid: [{ words: 'mid-level', accepts: ['mid'] }],
  senior: [
    { words: 'senior', accepts: ['senior'] },
    { words: 'sr', accepts: ['senior'] },
  ],
  lead: [{ words: 'lead', accepts: ['lead'] }],
  principal: [{ words: 'principal', accepts: ['principal'] }],
};

function lower(text: string): string {
  return text.toLowerCase();
}

/** A family title as a searcher types it: lowercase, without asides like "(RN)". */
function titleWords(family: JobFamily, rng: Random): string {
  return lower(rng.pick(family.titles).replace(/\s*\([^)]*\)/g, ''));
}

/** "senior data scientist", "data scientist internship", "engineering manager", with what it accepts. */
function seniorityTitle(anchor: QueryAnchor, head: string, rng: Random): SeniorityWording {
  const level = anchor.seniority;
  if (level === 'manager')
    return { words: lower(rng.pick(anchor.family.managerTitles)), accepts: ['manager'] };
  if (level === 'director')
    return { words: lower(rng.pick(anchor.family.directorTitles)), accepts: ['director'] };
  const wording = rng.pick(seniorityWordings[level]);
  const words = level === 'intern' ? `${head} ${wording.words}` : `${wording.words} ${head}`;
  return { words, accepts: [...wording.accepts] };
}

function titleDraft(anchor: QueryAnchor, rng: Random): QueryDraft {
  const title = titleWords(anchor.family, rng);
  const text = rng.weighted(
    [title, `${title} jobs`, `${title} job`, `${title} position`, `${title} openings`],
    [5, 3, 1, 1, 1],
  );
  return { text, intent: { family: anchor.family.id } };
}

function synonymDraft(anchor: QueryAnchor, rng: Random): QueryDraft {
  const alias = rng.pick(anchor.family.aliases);
  const phrase = rng.chance(0.5) ? lower(alias) : alias;
  return { text: rng.chance(0.7) ? phrase : `${phrase} jobs`, intent: { family: anchor.family.id } };
}

function skillDraft(anchor: QueryAnchor, rng: Random): QueryDraft {
  const skills = rng.sample(anchor.skills, rng.int(1, Math.min(3, anchor.skills.length)));
  const words = skills.map(lower);
  const text = rng.pick([
    words.join(' '),
    `${words.join(' ')} jobs`,
    `jobs requiring ${joinList(words)}`,
    `roles with ${joinList(words)}`,
    `${joinList(words)} experience`,
  ]);
  return { text, intent: { skills } };
}

function titleLocationDraft(anchor: QueryAnchor, rng: Random): QueryDraft {
  const title = titleWords(anchor.family, rng);
  const family = anchor.family.id;
  const { country } = anchor;
  if (anchor.location === remoteCity) {
    const text = rng.pick([`remote ${title} jobs in ${countryName(country)}`, `${title} remote ${country}`]);
    return { text, intent: { family, workplace: 'remote', country } };
  }
  if (rng.chance(0.2)) {
    return {
      text: rng.pick([`${title} jobs in ${countryName(country)}`, `${title} ${country}`]),
      intent: { family, country },
    };
  }
  const city = anchor.location;
  const text = rng.pick([
    `${title} in ${city}`,
    `${title} ${city}`,
    `${title} jobs near ${city}`,
    `${city} ${title}`,
    `${title} jobs ${city}`,
    `${title} job in ${city}`,
  ]);
  return { text, intent: { family, location: city } };
}

function seniorityTitleDraft(anchor: QueryAnchor, rng: Random): QueryDraft {
  const wording = seniorityTitle(anchor, titleWords(anchor.family, rng), rng);
  const intent: JobIntent = { family: anchor.family.id, seniority: wording.accepts };
  let text = wording.words;
  if (anchor.workplace !== 'on-site' && rng.chance(0.4)) {
    intent.workplace = anchor.workplace;
    text = rng.chance(0.5) ? `${text} ${anchor.workplace}` : `${anchor.workplace} ${text}`;
  }
  return { text, intent };
}

type NaturalPart = 'place' | 'seniority' | 'workplace' | 'employment' | 'salary' | 'skill';

function naturalDraft(anchor: QueryAnchor, rng: Random): QueryDraft {
  const options: NaturalPart[] = ['place', 'salary', 'skill'];
  if (anchor.seniority !== 'mid') options.push('seniority');
  if (anchor.workplace !== 'on-site' || rng.chance(0.2)) options.push('workplace');
  const employmentWorthSaying = anchor.employmentType !== 'full-time' || rng.chance(0.15);
  if (anchor.employmentType !== 'internship' && employmentWorthSaying) options.push('employment');
  const parts = new Set(rng.sample(options, rng.chance(0.6) ? 2 : 3));

  const intent: JobIntent = { family: anchor.family.id };
  const plural = rng.chance(0.5);
  const noun = plural
    ? rng.pick(['jobs', 'roles', 'positions', 'openings'])
    : rng.pick(['job', 'role', 'position']);
  const subject = rng.chance(0.5) ? anchor.family.field : titleWords(anchor.family, rng);
  const adjectives: string[] = [];
  let head = `${subject} ${noun}`;
  if (parts.has('seniority')) {
    if (anchor.seniority === 'intern') {
      head = `${subject} ${plural ? 'internships' : 'internship'}`;
      intent.seniority = ['intern'];
    } else if (anchor.seniority === 'manager' || anchor.seniority === 'director') {
      const wording = seniorityTitle(anchor, subject, rng);
      head = `${wording.words} ${noun}`;
      intent.seniority = wording.accepts;
    } else {
      // "sr" is for titles typed in a hurry, not for sentences.
      const wording = rng.pick(seniorityWordings[anchor.seniority].filter((entry) => entry.words !== 'sr'));
      adjectives.push(wording.words);
      intent.seniority = [...wording.accepts];
    }
  }
  if (parts.has('employment')) {
    adjectives.push(anchor.employmentType);
    intent.employmentType = anchor.employmentType;
  }
  if (parts.has('workplace')) {
    adjectives.push(anchor.workplace);
    intent.workplace = anchor.workplace;
  }
  const phrase = [...adjectives, head].join(' ');

  const suffixes: string[] = [];
  if (parts.has('place')) {
    if (anchor.location === remoteCity || rng.chance(0.2)) {
      suffixes.push(`in ${countryName(anchor.country)}`);
      intent.country = anchor.country;
    } else {
      suffixes.push(`${rng.pick(['in', 'near', 'around'])} ${anchor.location}`);
      intent.location = anchor.location;
    }
  }
  if (parts.has('salary')) {
    // A round figure just under the anchor's top of range, the way people type it.
    const minSalary = Math.max(10000, Math.floor((anchor.salaryMax * 9) / 100000) * 10000);
    suffixes.push(
      rng.pick([
        `paying at least ${formatUsdShort(minSalary)}`,
        `over ${formatUsd(minSalary)}`,
        `with a salary above ${formatUsdShort(minSalary)}`,
        `${formatUsdShort(minSalary)}+`,
      ]),
    );
    intent.minSalary = minSalary;
  }
  if (parts.has('skill')) {
    const skill = rng.pick(anchor.skills);
    suffixes.push(
      `${rng.pick(['using', 'with', plural ? 'that use' : 'that uses', 'requiring'])} ${lower(skill)}`,
    );
    intent.skills = [skill];
  }
  const opener = plural
    ? rng.pick(['', 'show me ', 'any ', 'find '])
    : rng.pick(['', 'looking for ', 'find me ', 'i want ']);
  const lead = opener === '' || plural ? `${opener}${phrase}` : `${opener}${withArticle(phrase)}`;
  const text = [lead, ...rng.shuffled(suffixes)].join(' ');
  return { text, intent };
}

export function draftQuery(kind: JobQueryKind, anchor: QueryAnchor, rng: Random): QueryDraft {
  switch (kind) {
    case 'title':
      return titleDraft(anchor, rng);
    case 'synonym':
      return synonymDraft(anchor, rng);
    case 'skill':
      return skillDraft(anchor, rng);
    case 'title-location':
      return titleLocationDraft(anchor, rng);
    case 'seniority-title':
      return seniorityTitleDraft(anchor, rng);
    case 'natural':
      return naturalDraft(anchor, rng);
  }
}
