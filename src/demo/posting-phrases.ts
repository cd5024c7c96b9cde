// Sentence variants a posting is assembled from, each a function of the posting's facts (a data table: its
// length is the number of variants).
//
// Every sentence is written for this project. Variety matters more than polish: many small pools,
// each picked from at random, keep 100,000 postings from reading like one template.

import type { Random } from '../util/index.js';
import { countryName, placeName, remoteCity } from './locations.js';
import type { JobFacts } from './posting-facts.js';
import { capitalize, formatCount, formatUsd, formatUsdShort, joinList, withArticle } from './text.js';
import type { Sector } from './types.js';

/** A sentence waiting to be written; only the ones a posting has room for are ever rendered. */
export type Phrase = (facts: JobFacts, rng: Random) => string;

function where(f: JobFacts): string {
  return f.location.city === remoteCity
    ? `working remotely in ${countryName(f.location.country)}`
    : `in ${placeName(f.location)}`;
}

export const introPhrases: readonly Phrase[] = [
  (f) => `${f.company.name} is hiring ${withArticle(f.title)} to join the ${f.team} team ${where(f)}.`,
  (f) => `We are looking for ${withArticle(f.title)} to join our ${f.team} team ${where(f)}.`,
  (f) => `${f.company.name} is looking for ${withArticle(f.title)} ${where(f)}.`,
  (f) => `Join ${f.company.name} as ${withArticle(f.title)} on the ${f.team} team, ${where(f)}.`,
  (f) => `${f.title}, ${f.team} team, ${placeName(f.location)}.`,
  (f) =>
    `As ${withArticle(f.title)} at ${f.company.name}, you will be part of our ${f.team} team ${where(f)}.`,
  (f) => `${f.company.name} has an opening for ${withArticle(f.title)} ${where(f)}.`,
];

export function employmentPhrase(f: JobFacts, rng: Random): string {
  switch (f.employmentType) {
    case 'full-time':
      return rng.pick([
        'This is a full-time, permanent position.',
        'This is a full-time role.',
        'Full-time, permanent.',
        'The position is full-time with a regular schedule.',
      ]);
    case 'part-time': {
      const hours = rng.pick([16, 20, 24, 25, 30]);
      return rng.pick([
        `This is a part-time role of about ${hours} hours a week.`,
        `Part-time: ${hours} hours per week, on a schedule we agree together.`,
      ]);
    }
    case 'contract': {
      const months = rng.pick([3, 6, 9, 12]);
      return rng.pick([
        `This is a ${months}-month contract with a possible extension.`,
        `Contract: ${months} months, with the option to convert to a permanent role.`,
      ]);
    }
    case 'temporary': {
      const weeks = rng.pick([6, 8, 10, 12, 16]);
      return rng.pick([
        `This is a temporary position for about ${weeks} weeks.`,
        `Temporary role covering a busy season of roughly ${weeks} weeks.`,
      ]);
    }
    case 'internship': {
      const weeks = rng.pick([10, 12, 16, 24]);
      return rng.pick([
        `This is a paid internship of ${weeks} weeks.`,
        `Paid ${weeks}-week internship with the possibility of a return offer.`,
      ]);
    }
  }
}

export function skillsPhrase(f: JobFacts, rng: Random): string {
  const list = joinList(f.requiredSkills);
  return rng.pick([
    `Experience with ${list}.`,
    `Hands-on skills in ${list}.`,
    `You know ${list} well.`,
    `Must have: ${list}.`,
    `Strong working knowledge of ${list}.`,
    `We are looking for someone skilled in ${list}.`,
  ]);
}

export function bonusPhrase(f: JobFacts, rng: Random): string {
  return rng.pick([
    `Nice to have: ${joinList(f.bonusSkills)}.`,
    `Bonus points for experience with ${joinList(f.bonusSkills)}.`,
    `Familiarity with ${joinList(f.bonusSkills)} is a plus.`,
    `It helps if you have worked with ${joinList(f.bonusSkills, 'or')}.`,
  ]);
}

export function workplacePhrase(f: JobFacts, rng: Random): string {
  const { city } = f.location;
  const country = countryName(f.location.country);
  const place = placeName(f.location);
  if (f.workplace === 'remote' && city === remoteCity) {
    return rng.pick([
      `This position is fully remote; you can work from anywhere in ${country}.`,
      `Remote role, open to candidates based in ${country}.`,
      `We are a remote team spread across ${country}, and we meet in person twice a year.`,
    ]);
  }
  if (f.workplace === 'remote') {
    return rng.pick([
      `This role is fully remote, with optional visits to our ${city} office.`,
      `You can work remotely; the team is anchored in ${city}.`,
      `Work from home; occasional trips to ${city} are paid for by us.`,
    ]);
  }
  if (f.workplace === 'hybrid') {
    const days = rng.pick([2, 3]);
    return rng.pick([
      `This is a hybrid role with ${days} days a week in our ${city} office.`,
      `Hybrid: ${days} days on site in ${city}, the rest from home.`,
      `We work hybrid from our ${place} office.`,
    ]);
  }
  return rng.pick([
    `This role is on-site at our ${place} location.`,
    `You will work on-site in ${place}.`,
    `On-site position in ${city}.`,
    `The job is based at our site in ${place}; remote work is not possible for this role.`,
  ]);
}

export function salaryPhrase(f: JobFacts, rng: Random): string {
  const low = formatUsd(f.salaryMin);
  const high = formatUsd(f.salaryMax);
  const fte = f.employmentType === 'part-time' ? ' (full-time equivalent)' : '';
  return rng.pick([
    `The salary range for this role is ${low} to ${high} per year${fte}.`,
    `Pay: ${low} - ${high} a year${fte}.`,
    `Compensation: ${low} to ${high} annually, depending on experience${fte}.`,
    `We expect to pay between ${low} and ${high} per year${fte}, plus benefits.`,
    `Base salary: ${formatUsdShort(f.salaryMin)}-${formatUsdShort(f.salaryMax)}${fte}.`,
  ]);
}

const sectorLines: Readonly<Record<Sector, readonly string[]>> = {
  tech: [
    'Our software is used by thousands of businesses every day.',
    'We ship small changes often and keep our systems simple.',
    'We care about reliability as much as about new features.',
  ],
  finance: [
    'Our clients trust us with their money, so we take accuracy and security seriously.',
    'We combine long experience with modern tools.',
  ],
  health: [
    'Our purpose is simple: safe, compassionate care for every patient.',
    'We are known in the community for high-quality, patient-centred care.',
  ],
  education: [
    'We believe every learner deserves great teaching.',
    'Our graduates go on to college, apprenticeships and rewarding careers.',
  ],
  industrial: [
    'Safety comes first on every one of our sites.',
    'Our products are built to last for decades.',
  ],
  retail: [
    'We want every customer to leave happier than they came in.',
    'Our stores are at the heart of their neighbourhoods.',
  ],
  logistics: [
    'We move goods safely and on time, every day of the year.',
    'Our network runs around the clock.',
  ],
  hospitality: [
    'We cook from scratch with seasonal ingredients.',
    'Guests come back because of the people who look after them.',
  ],
  legal: [
    'We combine deep expertise with practical, plain-spoken advice.',
    'Our lawyers are recognised in several practice areas.',
  ],
  media: [
    'We make work that people actually want to read, watch and use.',
    'Our audience has grown every year since we started.',
  ],
};

/** About the employer, in reading order: what it does, its size, its sector, then a general line. */
export const aboutPhrases: readonly Phrase[] = [
  (f) => `${f.company.name} ${f.company.does}.`,
  (f, rng) => {
    const { size, founded } = f.company;
    if (size < 200) {
      return rng.pick([`We are a small team of ${size} people.`, `We are ${size} people and growing.`]);
    }
    if (size < 1500) {
      return rng.pick([
        `Founded in ${founded}, we now employ about ${formatCount(size)} people.`,
        `Since ${founded} we have grown to ${formatCount(size)} employees.`,
      ]);
    }
    const rounded = formatCount(Math.floor(size / 1000) * 1000);
    return rng.pick([
      `With more than ${rounded} employees, we are one of the larger employers in our field.`,
      `${f.company.name} was founded in ${founded} and employs over ${rounded} people.`,
    ]);
  },
  (f, rng) => rng.pick(sectorLines[f.company.sector]),
  (_f, rng) =>
    rng.pick([
      'We are proud of the reputation we have built with customers and staff.',
      'Our people stay for years, and many of our leaders started in entry-level roles.',
      'We are growing steadily and investing in the team.',
    ]),
];

function levelLine(f: JobFacts, rng: Random): string {
  switch (f.seniority) {
    case 'intern':
      return rng.pick([
        'You will get a mentor, real projects and feedback every week.',
        'Most of our interns receive a full-time offer at the end of the program.',
      ]);
    case 'junior':
      return rng.pick([
        'This is a great early-career role, and you will have a mentor to help you grow.',
        'We will train you on our tools and processes.',
      ]);
    case 'mid':
      return 'You will work independently on well-defined problems and grow your scope over time.';
    case 'senior':
      return rng.pick([
        'We expect you to lead projects with little supervision and raise the bar for the team.',
        'You will be a go-to person for hard problems.',
      ]);
    case 'lead':
      return rng.pick([
        'You will set direction for the team and coach others while staying hands-on.',
        'You will lead a small group and remain close to the day-to-day work.',
      ]);
    case 'principal':
      return 'You will shape strategy across several teams and take on our hardest problems.';
    case 'manager':
      return `You will lead a team of ${rng.int(4, 14)} and own hiring, coaching and delivery.`;
    case 'director':
      return `You will lead an organisation of ${rng.int(25, 120)} people and report to the executive team.`;
  }
}

export const rolePhrases: readonly Phrase[] = [
  levelLine,
  (f, rng) =>
    rng.pick([
      `The ${f.team} team is ${rng.int(4, 18)} people who work closely together.`,
      `Our ${f.team} team is growing, and this hire is a big part of that.`,
    ]),
  (f, rng) => {
    if (f.seniority === 'director') return 'You will report to the chief executive.';
    const manager =
      f.seniority === 'manager' ? rng.pick(f.family.directorTitles) : rng.pick(f.family.managerTitles);
    return `You will report to the ${manager}.`;
  },
  (_f, rng) =>
    rng.pick([
      'Your work will be visible to customers from your first month.',
      'This role has a direct impact on how we serve our customers.',
      'You will have room to shape how the role grows.',
    ]),
];

/** Duties every family shares at a level, added after the family's own. */
export function levelDuties(f: JobFacts): readonly string[] {
  switch (f.seniority) {
    case 'intern':
    case 'junior':
      return [
        'learn our tools and processes from experienced colleagues',
        'take on small tasks and grow into bigger ones',
      ];
    case 'senior':
    case 'lead':
    case 'principal':
      return [
        'mentor less experienced colleagues',
        'lead projects from planning to delivery',
        'raise the quality bar through reviews and example',
      ];
    case 'manager':
      return [
        'hire, coach and grow your team',
        'run one-on-ones and regular performance conversations',
        'set goals with the team and track progress',
      ];
    case 'director':
      return [
        'set strategy and budget for your organisation',
        'build a strong bench of managers',
        'represent your area to senior leadership',
      ];
    default:
      return [];
  }
}

export const dutyLeaders: readonly string[] = [
  'You will also',
  'Expect to',
  'Part of the job is to',
  'You will regularly',
  'Day to day, you will',
  'You will',
];

const otherLanguage: Readonly<Record<string, string>> = {
  Germany: 'German',
  France: 'French',
  Spain: 'Spanish',
  Netherlands: 'Dutch',
  Sweden: 'Swedish',
  Poland: 'Polish',
  Japan: 'Japanese',
  Brazil: 'Portuguese',
  Mexico: 'Spanish',
  Switzerland: 'German',
};

const softSkills: readonly string[] = [
  'Clear written and spoken communication.',
  'You stay calm and organised when priorities shift.',
  'A habit of asking good questions.',
  'You enjoy working with people from different backgrounds.',
  'Reliable, punctual and easy to work with.',
  'Attention to detail that others notice.',
  'You take ownership and follow through.',
  'Comfortable giving and receiving feedback.',
];

/** Extra requirement lines beyond the skills list: experience, credentials, skill detail, soft skills. */
export function requirementPhrases(f: JobFacts): Array<Phrase | string> {
  const phrases: Array<Phrase | string> = [];
  phrases.push((_f, rng) => {
    if (f.seniority === 'intern')
      return 'You are currently studying or recently finished a relevant program.';
    if (f.yearsMin === 0) {
      return rng.pick([
        'No prior experience is required; we will train you.',
        'Up to two years of experience, or relevant training.',
      ]);
    }
    return rng.pick([
      `${f.yearsMin}+ years of experience as ${withArticle(f.baseTitle)} or in a similar role.`,
      `At least ${f.yearsMin} years of relevant experience.`,
    ]);
  });
  for (const credential of f.family.credentials) phrases.push(`${capitalize(credential)}.`);
  for (const skill of f.requiredSkills) {
    phrases.push((_f, rng) =>
      rng.pick([
        `Proven experience with ${skill} in a professional setting.`,
        `You can explain how you have used ${skill} to solve a real problem.`,
        `Comfortable using ${skill} day to day.`,
        `A solid grasp of ${skill}.`,
      ]),
    );
  }
  if (f.family.workplaceMix[0] === 100) {
    phrases.push('Able to stay on your feet for a full shift and lift up to 50 pounds.');
  }
  const language = otherLanguage[f.location.country];
  if (language !== undefined) phrases.push(`Fluent English; ${language} is a plus.`);
  phrases.push(...softSkills);
  return phrases;
}

export const culturePhrases: readonly Phrase[] = [
  () => 'We write things down, so decisions do not live only in meetings.',
  () => 'We value a steady, sustainable pace over heroics.',
  () => 'New ideas are welcome from anyone, whatever their title.',
  () => 'We keep meetings short and protect time for focused work.',
  () => 'Feedback here is direct, kind and frequent.',
  () => 'We celebrate finished work and learn openly from mistakes.',
  () => 'Most of our leaders were promoted from within.',
  () => 'We try to do right by our customers even when it costs us.',
  () => 'Our teams are small, so your work is visible and it matters.',
  () => 'We invest in training, and everyone gets time to learn.',
  () => 'People here help each other without being asked.',
  () => 'We measure results, not hours at a desk.',
  () => 'You will work alongside people who have done this for years and enjoy teaching it.',
  () => 'We keep processes light and rules sensible.',
  () => 'We share what we earn and where it goes, so nobody has to guess.',
  () => 'Good work gets noticed here, and so do the people who help others do it.',
];

/** The first months in the role, in order. */
export const journeyPhrases: readonly Phrase[] = [
  (f, rng) =>
    rng.pick([
      `In your first month you will meet the ${f.team} team, learn our tools and finish a first small piece of work.`,
      `Your first weeks are for learning: you will shadow colleagues on the ${f.team} team and take on a starter task.`,
    ]),
  (f, rng) =>
    rng.pick([
      `By month three you will own part of the team's ${f.family.field} work from start to finish.`,
      `Within three months you will handle most day-to-day ${f.family.field} work on your own.`,
    ]),
  (f, rng) => {
    const skill = rng.pick(f.requiredSkills);
    return rng.pick([
      `After six months, colleagues will come to you for advice on ${skill}.`,
      `By the end of your first year, you will be helping us decide how we use ${skill}.`,
    ]);
  },
];

/** How hiring works; a few postings say it, most do not. */
export const processPhrases: readonly Phrase[] = [
  (_f, rng) =>
    `Our hiring process has ${rng.int(2, 4)} steps: a short call, a conversation about your experience and a meeting with the team.`,
  () => 'You will meet your future manager and at least two teammates before any offer is made.',
  () => 'We aim to give every applicant an answer within two weeks.',
  () => 'Interviews can be held by video or in person, whichever suits you.',
  () => 'We pay for travel to any in-person interview.',
];

/** Benefits that fit this posting (no commuter benefits for a remote role, no stock options at a bakery). */
export function benefitPhrases(f: JobFacts): Phrase[] {
  const phrases: Phrase[] = [
    () => 'Health, dental and vision insurance',
    () => 'A retirement plan with a company match',
    (_f, rng) => `${rng.pick([20, 25, 28, 30])} days of paid time off`,
    () => 'Paid parental leave',
    (_f, rng) => `A yearly learning budget of ${formatUsd(rng.pick([500, 1000, 1500, 2000]))}`,
    () => 'An annual performance bonus',
    () => 'A monthly wellness allowance',
    () => 'Tuition reimbursement',
    () => 'Two paid volunteer days a year',
    () => 'Paid certification courses',
  ];
  const officeWork = f.family.workplaceMix[0] < 100;
  if (officeWork)
    phrases.push(
      () => 'Flexible working hours',
      () => 'A laptop and the equipment you need',
    );
  if (f.workplace !== 'on-site') phrases.push(() => 'A home office stipend');
  if (f.workplace !== 'remote')
    phrases.push(
      () => 'Commuter benefits',
      () => 'Free lunch on office days',
    );
  if (f.company.sector === 'tech' || f.company.sector === 'finance')
    phrases.push(() => 'Employee stock options');
  if (f.company.sector === 'retail' || f.company.sector === 'hospitality') {
    phrases.push(() => 'A generous employee discount');
  }
  if (!officeWork) {
    phrases.push(
      () => 'Paid overtime',
      () => 'Uniforms and safety gear provided',
      (_f, rng) => `A sign-on bonus of ${formatUsd(rng.pick([1000, 2500, 5000]))}`,
    );
  }
  return phrases;
}

export const closingPhrases: readonly Phrase[] = [
  (f) =>
    `${f.company.name} is an equal opportunity employer and welcomes applicants of every background, identity and ability.`,
  () =>
    'We consider all qualified applicants without regard to race, religion, sex, sexual orientation, gender identity, national origin, age, disability or veteran status.',
  () => 'If you need an accommodation during the hiring process, tell us and we will make it happen.',
  () => 'Apply with your resume; a cover letter is optional.',
  () => 'Not sure you meet every requirement? Apply anyway; we would love to hear from you.',
  () => 'We review applications on a rolling basis and reply to everyone.',
];

export const headings = {
  about: (f: JobFacts): readonly string[] => [`About ${f.company.name}`, 'Who we are', 'About us'],
  duties: [
    'What you will do',
    'Responsibilities',
    'In this role you will',
    'Your day to day',
    'Key responsibilities',
  ],
  requirements: ['What we are looking for', 'Requirements', 'About you', 'You have', 'Qualifications'],
  benefits: ['Benefits', 'What we offer', 'Perks and benefits', 'Why you will like it here'],
  journey: ['Your first months', 'What success looks like', 'How you will grow'],
} as const;
