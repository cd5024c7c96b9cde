// The committed label sets (assets/labels/*.jsonl.gz, training queries only) with each pair's raw judge
// scores and text, and the collection each was made on: what the judge benches audit against people.

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ensureDemoCollection } from '../../src/demo/index.js';
import { readQrels } from '../../src/eval/index.js';
import type { Qrels } from '../../src/ingest/index.js';
import type { GradedLabel } from '../../src/judge/index.js';
import { sharedDir, siftPaths } from '../../src/util/index.js';

export interface CommittedLabel extends GradedLabel {
  query: string;
  title: string;
  text: string;
  promptHash: string;
  /** The policy's name (a shipped one: web-search, job-search). */
  policy: string;
}

export interface CommittedLabelSet {
  name: string;
  /** The collection folder the set was made on (BEIR layout). */
  folder: string;
  file: string;
  /** The policy's top grade (web-search and job-search: 3). */
  maxGrade: number;
  /** Characters of document text the judge read (the manifest's labelling options). */
  maxDocChars: number;
  labels: CommittedLabel[];
  qrels: Qrels;
}

export const LABELS_DIR = resolve('assets/labels');

/** Every committed set that exists, with the labels that carry raw scores. */
export async function committedLabelSetsWithScores(): Promise<CommittedLabelSet[]> {
  const shared = sharedDir();
  const demo = await ensureDemoCollection({ root: siftPaths().collections, seed: 2026, docs: 5000 });
  const sets = [
    { name: 'dbpedia-entity-subset', folder: join(shared, 'data', 'dbpedia-entity-subset'), maxGrade: 3 },
    { name: 'cranfield', folder: join(shared, 'data', 'cranfield'), maxGrade: 3 },
    { name: 'jobs', folder: demo.folder, maxGrade: 3 },
  ];
  const manifest = readManifest();
  const loaded: CommittedLabelSet[] = [];
  for (const set of sets) {
    const file = join(LABELS_DIR, `${set.name}.jsonl.gz`);
    if (!existsSync(file)) {
      console.log(`skipping ${set.name}: no ${file}`);
      continue;
    }
    const labels = gunzipSync(readFileSync(file))
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as CommittedRecord)
      .filter((record) => record.scores !== undefined)
      .map((record) => ({
        queryId: record.query_id,
        docId: record.doc_id,
        grade: record.raw_grade,
        scores: record.scores!,
        query: record.query,
        title: record.title,
        text: record.text,
        promptHash: record.prompt_hash,
        policy: record.policy,
      }));
    loaded.push({
      ...set,
      file,
      labels,
      maxDocChars: judgedAs(set.name, manifest).maxDocChars,
      qrels: await readQrels(join(set.folder, 'qrels', 'test.tsv')),
    });
  }
  return loaded;
}

interface CommittedRecord {
  query_id: string;
  doc_id: string;
  query: string;
  title: string;
  text: string;
  raw_grade: number;
  scores?: GradedLabel['scores'];
  prompt_hash: string;
  policy: string;
}

interface Manifest {
  sets?: Record<string, { policy?: string; labelling?: { options?: { maxDocChars?: number } } }>;
}

function readManifest(): Manifest {
  return JSON.parse(readFileSync(join(LABELS_DIR, 'manifest.json'), 'utf8')) as Manifest;
}

/**
 * The policy and the document cut a committed set was judged with (its manifest entry), so a bench that
 * judges again asks the judge the same way.
 */
export function judgedAs(
  setName: string,
  manifest: Manifest = readManifest(),
): { policy: string; maxDocChars: number } {
  const entry = manifest.sets?.[setName];
  const maxDocChars = entry?.labelling?.options?.maxDocChars;
  if (entry?.policy === undefined || maxDocChars === undefined) {
    throw new Error(`${join(LABELS_DIR, 'manifest.json')}: no policy or labelling options for ${setName}`);
  }
  return { policy: entry.policy, maxDocChars };
}
