// Grading policies: Markdown files with front matter that say how a judge grades (query, document) pairs.
//
// A policy is written by a product manager, not an engineer, so the format is plain Markdown:
//
//   ---
//   name: web-search            (required: a short slug)
//   title: General web search   (optional)
//   version: 2026-01            (optional, free text)
//   relevant_from: 2            (optional: the lowest grade that counts as relevant; default ⌈max/2⌉)
//   ---
//   ## Task          what the judge is asked to do                        (required)
//   ## Grades        one `### <grade> — <label>` heading per level, with    (required)
//                    its definition below; grades run 0, 1, … without gaps
//   ## Examples      worked examples                                       (optional)
//   ## Ignore        what must not influence the grade                     (optional)
//
// Other `##` sections are allowed and reach the judge like the rest. The policy is identified by the
// sha256 of its text (line endings normalised), so every label says exactly which policy made it.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SiftError } from '../errors.js';

export interface GradeLevel {
  grade: number;
  /** The short name after the grade in its heading, e.g. "Highly relevant". */
  label: string;
  /** The text below the heading. */
  definition: string;
}

export interface Policy {
  name: string;
  title: string;
  version?: string;
  /** sha256 (hex) of the normalised file text: the policy's identity in every label. */
  hash: string;
  /** Where it was loaded from (a path, or `builtin:<name>`). */
  source: string;
  /** The whole normalised file, front matter included, as stored beside the labels. */
  text: string;
  /** The Markdown after the front matter: what the judge reads. */
  body: string;
  /** Grades 0..maxGrade, in order. */
  levels: GradeLevel[];
  maxGrade: number;
  /** Grades ≥ this count as relevant (binary views: yes/no soft labels, exports). */
  relevantFrom: number;
}

/** The policies shipped in assets/policies; `web-search` is the default. */
export const BUILTIN_POLICIES = ['web-search', 'job-search'] as const;
export const DEFAULT_POLICY = 'web-search';

const FRONT_MATTER_KEYS = new Set(['name', 'title', 'version', 'relevant_from']);
const MAX_LEVELS = 11;
// `### 3 — Highly relevant`, also with an en dash, hyphen, colon or full stop as the separator.
const LEVEL_HEADING = /^###\s+([^\s:.—–-]+)\s*(?:[—–:.-]\s*)?(.*)$/;

/** Path of a shipped policy file (assets/ sits beside dist/ in the package). */
export function builtinPolicyPath(name: string): string {
  return fileURLToPath(new URL(`../../../assets/policies/${name}.md`, import.meta.url));
}

/** Loads a policy from a file path, or a shipped one by name (`web-search`, `job-search`). */
export async function loadPolicy(pathOrName: string = DEFAULT_POLICY): Promise<Policy> {
  const builtin = (BUILTIN_POLICIES as readonly string[]).includes(pathOrName);
  const file = builtin ? builtinPolicyPath(pathOrName) : pathOrName;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SiftError(
      'E_FILE_NOT_FOUND',
      `policy not found (give a Markdown file, or one of: ${BUILTIN_POLICIES.join(', ')})`,
      { file: pathOrName },
      { cause: error },
    );
  }
  return parsePolicy(text, builtin ? `builtin:${pathOrName}` : file);
}

/** Parses and validates policy text; `source` names it in errors. */
export function parsePolicy(raw: string, source: string): Policy {
  const text = normalise(raw);
  const lines = text.split('\n');
  const fail = (line: number | undefined, detail: string, field?: string): SiftError =>
    new SiftError('E_POLICY_INVALID', detail, {
      file: source,
      ...(line !== undefined ? { line } : {}),
      ...(field !== undefined ? { field } : {}),
    });

  const { fields, bodyStart } = readFrontMatter(lines, fail);
  const name = fields.get('name');
  if (name === undefined)
    throw fail(1, 'front matter needs a "name" (a short slug such as web-search)', 'name');
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name.value)) {
    throw fail(name.line, `name "${name.value}" must be a slug (letters, digits, . _ -)`, 'name');
  }

  const sections = readSections(lines, bodyStart);
  const task = sections.find((section) => section.key === 'task');
  if (task === undefined || task.content.trim() === '') {
    throw fail(undefined, 'missing a "## Task" section saying what the judge must do', 'Task');
  }
  const grades = sections.find((section) => section.key === 'grades' || section.key === 'levels');
  if (grades === undefined) {
    throw fail(
      undefined,
      'missing a "## Grades" section with one "### <grade> — <label>" per level',
      'Grades',
    );
  }
  const levels = readLevels(lines, grades, fail);
  const maxGrade = levels.length - 1;

  const relevantField = fields.get('relevant_from');
  let relevantFrom = Math.ceil(maxGrade / 2);
  if (relevantField !== undefined) {
    relevantFrom = Number(relevantField.value);
    if (!Number.isInteger(relevantFrom) || relevantFrom < 1 || relevantFrom > maxGrade) {
      throw fail(
        relevantField.line,
        `relevant_from must be an integer grade in 1..${maxGrade}`,
        'relevant_from',
      );
    }
  }

  const version = fields.get('version')?.value;
  return {
    name: name.value,
    title: fields.get('title')?.value ?? name.value,
    ...(version !== undefined ? { version } : {}),
    hash: createHash('sha256').update(text, 'utf8').digest('hex'),
    source,
    text,
    body: lines.slice(bodyStart).join('\n').trim(),
    levels,
    maxGrade,
    relevantFrom,
  };
}

/** Strips a byte-order mark and normalises line endings, so one policy hashes the same everywhere. */
function normalise(raw: string): string {
  return raw.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

type Fail = (line: number | undefined, detail: string, field?: string) => SiftError;

interface FrontMatterField {
  value: string;
  line: number;
}

/** A deliberately tiny YAML subset: `key: value` lines, `#` comments, optional quotes. */
function readFrontMatter(
  lines: string[],
  fail: Fail,
): { fields: Map<string, FrontMatterField>; bodyStart: number } {
  if (lines[0]?.trim() !== '---') {
    throw fail(1, 'a policy starts with front matter: a "---" line, "name: <slug>", then "---"');
  }
  const fields = new Map<string, FrontMatterField>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '---') return { fields, bodyStart: i + 1 };
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_][\w-]*)\s*:\s*(.*)$/.exec(line);
    if (match === null) {
      throw fail(
        i + 1,
        `front matter lines are "key: value", not ${JSON.stringify(line)} (is it closed by a "---" line?)`,
      );
    }
    const key = match[1]!;
    if (!FRONT_MATTER_KEYS.has(key)) {
      throw fail(
        i + 1,
        `unknown front matter key "${key}" (known: ${[...FRONT_MATTER_KEYS].join(', ')})`,
        key,
      );
    }
    if (fields.has(key)) throw fail(i + 1, `front matter key "${key}" given twice`, key);
    const value = match[2]!.replace(/^(["'])(.*)\1$/, '$2').trim();
    if (value === '') throw fail(i + 1, `front matter key "${key}" has no value`, key);
    fields.set(key, { value, line: i + 1 });
  }
  throw fail(1, 'front matter is not closed by a "---" line');
}

interface Section {
  /** Lower-cased heading text, e.g. 'task'. */
  key: string;
  /** 0-based index of the heading line. */
  start: number;
  /** 0-based index one past the section's last line. */
  end: number;
  content: string;
}

function readSections(lines: string[], bodyStart: number): Section[] {
  const sections: Section[] = [];
  let inFence = false;
  for (let i = bodyStart; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trimStart().startsWith('```')) inFence = !inFence;
    if (inFence || !/^##\s/.test(line)) continue;
    const last = sections.at(-1);
    if (last) last.end = i;
    sections.push({ key: line.slice(3).trim().toLowerCase(), start: i, end: lines.length, content: '' });
  }
  for (const section of sections) section.content = lines.slice(section.start + 1, section.end).join('\n');
  return sections;
}

function readLevels(lines: string[], section: Section, fail: Fail): GradeLevel[] {
  const found: Array<GradeLevel & { line: number }> = [];
  let current: (GradeLevel & { line: number; body: string[] }) | undefined;
  const close = () => {
    if (current === undefined) return;
    current.definition = current.body.join('\n').trim();
    if (current.definition === '') {
      throw fail(current.line, `grade ${current.grade} has no definition below its heading`, 'Grades');
    }
    found.push({
      grade: current.grade,
      label: current.label,
      definition: current.definition,
      line: current.line,
    });
  };
  for (let i = section.start + 1; i < section.end; i++) {
    const line = lines[i]!;
    const heading = LEVEL_HEADING.exec(line);
    if (heading === null) {
      if (current) current.body.push(line);
      continue;
    }
    close();
    const gradeText = heading[1]!;
    if (!/^\d+$/.test(gradeText)) {
      throw fail(
        i + 1,
        `grade headings look like "### 2 — Relevant"; "${gradeText}" is not a grade`,
        'Grades',
      );
    }
    current = {
      grade: Number(gradeText),
      label: heading[2]!.trim() || `grade ${gradeText}`,
      definition: '',
      line: i + 1,
      body: [],
    };
  }
  close();
  if (found.length < 2) {
    throw fail(
      section.start + 1,
      'the Grades section needs at least two "### <grade> — <label>" levels',
      'Grades',
    );
  }
  if (found.length > MAX_LEVELS) {
    throw fail(section.start + 1, `at most ${MAX_LEVELS} grade levels (0..${MAX_LEVELS - 1})`, 'Grades');
  }
  const sorted = [...found].sort((a, b) => a.grade - b.grade);
  sorted.forEach((level, expected) => {
    if (level.grade !== expected) {
      const duplicate = sorted.filter((other) => other.grade === level.grade).length > 1;
      throw fail(
        level.line,
        duplicate
          ? `grade ${level.grade} is defined twice`
          : `grades must run 0, 1, 2, … without gaps; expected ${expected}, found ${level.grade}`,
        'Grades',
      );
    }
  });
  return sorted.map(({ grade, label, definition }) => ({ grade, label, definition }));
}
