// A reduced BEIR collection for benches whose models are too slow for the whole corpus on two cores:
// judged queries drawn at random (seeded), each bringing at most `perQuery` of its relevant documents
// (highest grades first), while they fit in half of `docs`; then random other documents of the corpus up
// to `docs`. Lines are copied as they are; qrels keep only documents in the sample, so a query's ideal
// ranking is the one its sampled documents allow. Scores on a sample are easier than on the full corpus (fewer distractors), so
// they compare systems with each other on the same sample, never with full-corpus numbers.

import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { xoshiro128ss } from '../../src/util/index.js';

export interface SampleOptions {
  docs: number;
  /** Relevant documents a query may bring at most (default 5). */
  perQuery?: number;
  seed?: number;
}

/** Writes the sample under `root` (once; reused when present) and returns its folder. */
export async function sampleCollection(
  folder: string,
  root: string,
  options: SampleOptions,
): Promise<string> {
  const seed = options.seed ?? 1;
  const perQuery = options.perQuery ?? 5;
  const out = join(root, `${basename(folder)}-sample${options.docs}x${perQuery}-seed${seed}`);
  if (existsSync(join(out, 'qrels', 'test.tsv'))) return out;
  const random = xoshiro128ss(seed);
  const shuffle = <T>(items: T[]): T[] => {
    for (let i = items.length - 1; i > 0; i--) {
      const j = random() % (i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  };
  const qrelLines = (await readFile(join(folder, 'qrels', 'test.tsv'), 'utf8')).split('\n').filter(Boolean);
  const header = qrelLines[0]!;
  const rows = qrelLines.slice(1).map((line) => {
    const [query = '', doc = '', grade = '0'] = line.split('\t');
    return { query, doc, grade: Number(grade), line };
  });
  const relevantOf = new Map<string, Array<{ doc: string; grade: number }>>();
  for (const row of rows) {
    if (row.grade <= 0) continue;
    if (!relevantOf.has(row.query)) relevantOf.set(row.query, []);
    relevantOf.get(row.query)!.push(row);
  }
  const chosen = new Set<string>();
  const keep = new Set<string>();
  for (const query of shuffle([...relevantOf.keys()].sort())) {
    const relevant = shuffle(relevantOf.get(query)!)
      .sort((a, b) => b.grade - a.grade)
      .slice(0, perQuery)
      .map((row) => row.doc);
    const added = relevant.filter((doc) => !keep.has(doc));
    if (keep.size + added.length > options.docs / 2) continue;
    chosen.add(query);
    for (const doc of added) keep.add(doc);
  }
  const corpusLines = (await readFile(join(folder, 'corpus.jsonl'), 'utf8')).split('\n').filter(Boolean);
  const idOf = (line: string) => String((JSON.parse(line) as { _id: string })._id);
  const others = shuffle(
    corpusLines
      .map(idOf)
      .filter((id) => !keep.has(id))
      .sort(),
  );
  for (const id of others) {
    if (keep.size >= options.docs) break;
    keep.add(id);
  }
  const queryLines = (await readFile(join(folder, 'queries.jsonl'), 'utf8')).split('\n').filter(Boolean);
  await mkdir(join(out, 'qrels'), { recursive: true });
  await writeFile(
    join(out, 'corpus.jsonl'),
    `${corpusLines.filter((line) => keep.has(idOf(line))).join('\n')}\n`,
  );
  await writeFile(
    join(out, 'queries.jsonl'),
    `${queryLines.filter((line) => chosen.has(idOf(line))).join('\n')}\n`,
  );
  const judged = rows.filter((row) => chosen.has(row.query) && keep.has(row.doc)).map((row) => row.line);
  await writeFile(join(out, 'qrels', 'test.tsv'), `${[header, ...judged].join('\n')}\n`);
  return out;
}
