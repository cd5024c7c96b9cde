// Writes a posting's description from its facts, at a length drawn from 40 to about 600 words.
//
// A word budget is drawn, the must-have sentences are written, then optional sentences are drawn from
// the section pools until the budget is spent. The must-haves (role, every listed skill, workplace and
// pay) put what the metadata says into the text too, so a reader of the text alone can find the posting.

import type { Random } from '../util/index.js';
import type { JobFacts } from './posting-facts.js';
import {
  aboutPhrases,
  benefitPhrases,
  bonusPhrase,
  closingPhrases,
  culturePhrases,
  dutyLeaders,
  employmentPhrase,
  headings,
  introPhrases,
  journeyPhrases,
  levelDuties,
  type Phrase,
  processPhrases,
  requirementPhrases,
  rolePhrases,
  salaryPhrase,
  skillsPhrase,
  workplacePhrase,
} from './posting-phrases.js';
import { capitalize, joinList, sentenceWords } from './text.js';

type SectionName =
  | 'about'
  | 'role'
  | 'duties'
  | 'requirements'
  | 'culture'
  | 'journey'
  | 'process'
  | 'benefits'
  | 'closing';

/** A sentence, or a function writing one from the facts. */
type Item = Phrase | string;

interface Pool {
  section: SectionName;
  /** Unordered pools are drawn from without replacement, shuffling only as far as they are used. */
  items: Item[];
  ordered: boolean;
  taken: number;
  /** Most sentences the section takes, so that no long posting is one endless list. */
  limit: number;
  weight: number;
}

function makePool(
  section: SectionName,
  items: Item[],
  ordered: boolean,
  limit: number,
  weight: number,
): Pool {
  return { section, items, ordered, taken: 0, limit: Math.min(limit, items.length), weight };
}

function take(pool: Pool, rng: Random): Item {
  if (!pool.ordered) {
    const j = rng.int(pool.taken, pool.items.length - 1);
    const swap = pool.items[j] as Item;
    pool.items[j] = pool.items[pool.taken] as Item;
    pool.items[pool.taken] = swap;
  }
  const item = pool.items[pool.taken] as Item;
  pool.taken += 1;
  return item;
}

/** A weighted pick among the pools with room left, without building arrays on every draw. */
function pickPool(pools: readonly Pool[], rng: Random): Pool | undefined {
  let total = 0;
  for (const pool of pools) if (pool.taken < pool.limit) total += pool.weight;
  if (total === 0) return undefined;
  let target = rng.next() * total;
  let last: Pool | undefined;
  for (const pool of pools) {
    if (pool.taken >= pool.limit) continue;
    last = pool;
    target -= pool.weight;
    if (target < 0) return pool;
  }
  return last;
}

/** Shortest and longest word budgets; the must-have sentences alone come close to the lower one. */
export const minTargetWords = 40;
export const maxTargetWords = 540;

function drawTargetWords(rng: Random): number {
  const profile = rng.weighted(['short', 'medium', 'long'] as const, [25, 45, 30]);
  if (profile === 'short') return rng.int(minTargetWords, 100);
  if (profile === 'medium') return rng.int(100, 300);
  return rng.int(300, maxTargetWords);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function bulletList(heading: string, items: readonly string[]): string {
  return `${heading}:\n${items.map((item) => `- ${item}`).join('\n')}`;
}

export function renderPostingText(f: JobFacts, rng: Random): string {
  const target = drawTargetWords(rng);
  const bullets = rng.chance(0.55);

  const intro = rng.pick(introPhrases)(f, rng);
  const employment = f.employmentType !== 'full-time' || rng.chance(0.5) ? employmentPhrase(f, rng) : '';
  const skills = skillsPhrase(f, rng);
  const bonus = f.bonusSkills.length > 0 ? bonusPhrase(f, rng) : '';
  const workplace = workplacePhrase(f, rng);
  const salary = salaryPhrase(f, rng);

  // Counted from sentence words only; headings and list glue only add to it, so the text never
  // comes out shorter than the budget.
  let words = sentenceWords(intro) + sentenceWords(employment) + sentenceWords(skills) + sentenceWords(bonus);
  words += sentenceWords(workplace) + sentenceWords(salary);

  const pools: Pool[] = [
    // The employer blurb and the first-months story keep their order; the other pools are drawn at random.
    makePool('about', aboutPhrases.slice(), true, 4, 2),
    makePool('role', rolePhrases.slice(), false, 4, 2),
    makePool('duties', [...f.family.duties, ...levelDuties(f)], false, 8, 4),
    makePool('requirements', requirementPhrases(f), false, 9, 4),
    makePool('culture', culturePhrases.slice(), false, 5, 2),
    makePool('journey', journeyPhrases.slice(), true, 3, 1),
    makePool('process', processPhrases.slice(), false, 3, 1),
    makePool('benefits', benefitPhrases(f), false, 9, 2),
    makePool('closing', closingPhrases.slice(), false, 3, 1),
  ];
  const chosen: Record<SectionName, string[]> = {
    about: [],
    role: [],
    duties: [],
    requirements: [],
    culture: [],
    journey: [],
    process: [],
    benefits: [],
    closing: [],
  };
  while (words < target) {
    const pool = pickPool(pools, rng);
    if (pool === undefined) break;
    const item = take(pool, rng);
    const sentence = typeof item === 'string' ? item : item(f, rng);
    chosen[pool.section].push(sentence);
    words += sentenceWords(sentence);
  }

  const paragraphs: string[] = [];
  const opening = [intro, ...chosen.role, employment].filter((part) => part !== '').join(' ');
  let about = chosen.about.join(' ');
  if (about !== '' && bullets && rng.chance(0.5)) about = `${rng.pick(headings.about(f))}:\n${about}`;
  if (about !== '' && rng.chance(0.7)) paragraphs.push(about, opening);
  else paragraphs.push(opening, ...(about === '' ? [] : [about]));

  if (chosen.duties.length > 0) {
    if (bullets) {
      const items = chosen.duties.map((duty) => `${capitalize(duty)}.`);
      paragraphs.push(bulletList(rng.pick(headings.duties), items));
    } else {
      const sentences = chosen.duties.map((duty, i) => {
        const leader = i === 0 ? 'You will' : rng.pick(dutyLeaders);
        return `${leader} ${duty}.`;
      });
      paragraphs.push(sentences.join(' '));
    }
  }

  const requirements = [skills, ...chosen.requirements, ...(bonus === '' ? [] : [bonus])];
  paragraphs.push(
    bullets ? bulletList(rng.pick(headings.requirements), requirements) : requirements.join(' '),
  );

  if (chosen.culture.length > 0) paragraphs.push(chosen.culture.join(' '));
  if (chosen.journey.length > 0) {
    const journey = chosen.journey.join(' ');
    paragraphs.push(bullets ? `${rng.pick(headings.journey)}:\n${journey}` : journey);
  }
  const terms = `${workplace} ${salary}`;
  if (chosen.benefits.length > 0) {
    const benefits = bullets
      ? bulletList(rng.pick(headings.benefits), chosen.benefits)
      : `We offer ${joinList(chosen.benefits.map(lowerFirst))}.`;
    if (rng.chance(0.5)) paragraphs.push(benefits, terms);
    else paragraphs.push(terms, benefits);
  } else {
    paragraphs.push(terms);
  }
  const closing = [...chosen.process, ...chosen.closing];
  if (closing.length > 0) paragraphs.push(closing.join(' '));
  return paragraphs.join('\n\n');
}
