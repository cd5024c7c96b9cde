// Training examples from a BEIR collection's human qrels (golden labels): every judged (query, document)
// pair with its grade, plus a few random unjudged documents per query as grade-0 negatives. Only the
// collection's training queries are used (src/ingest/query-split.ts: its test queries are what learned
// models are evaluated on), divided into train and dev by `devSplit`.

import { loadBeirCollection, type Qrels, querySplit, readBeirCorpus } from '../ingest/index.js';
import { Mulberry32 } from '../util/index.js';
import { type DevSplit, devSplit } from './dev-split.js';
import type { TrainingExample } from './examples.js';

export interface BeirExampleOptions {
  split: DevSplit;
  /** Random unjudged documents added per query as grade 0. Default 2. */
  negativesPerQuery?: number;
  /** Seed of the negative sampling. Default 13. */
  seed?: number;
  /** The qrels file: qrels/<qrelsSplit>.tsv. Default 'test' (Cranfield ships only that one). */
  qrelsSplit?: string;
}

/** Every document's title and text, by id. */
export async function corpusTexts(corpusPath: string): Promise<Map<string, { title: string; text: string }>> {
  const docs = new Map<string, { title: string; text: string }>();
  for await (const doc of readBeirCorpus(corpusPath)) docs.set(doc.id, { title: doc.title, text: doc.text });
  return docs;
}

/** The highest grade in the qrels (at least 1), which normalises grades to [0, 1]. */
export function highestGrade(qrels: Qrels): number {
  let max = 1;
  for (const judgments of qrels.values()) for (const g of judgments.values()) max = Math.max(max, g);
  return max;
}

export async function beirExamples(folder: string, options: BeirExampleOptions): Promise<TrainingExample[]> {
  const collection = await loadBeirCollection(folder, { split: options.qrelsSplit ?? 'test' });
  const docs = await corpusTexts(collection.corpusPath);
  const docIds = [...docs.keys()];
  const maxGrade = highestGrade(collection.qrels);
  const rng = new Mulberry32(options.seed ?? 13);
  const negatives = options.negativesPerQuery ?? 2;
  const examples: TrainingExample[] = [];
  for (const query of collection.queries) {
    const judgments = collection.qrels.get(query.id);
    if (!judgments || querySplit(query.id) !== 'train' || devSplit(query.id) !== options.split) continue;
    const add = (docId: string, grade: number) => {
      const doc = docs.get(docId);
      if (!doc) return;
      const g = Math.max(0, grade);
      examples.push({
        queryId: query.id,
        docId,
        query: query.text,
        title: doc.title,
        text: doc.text,
        grade: g,
        gradeNormalized: g / maxGrade,
        softLabel: null,
        pYes: null,
      });
    };
    for (const [docId, grade] of judgments) add(docId, grade);
    for (let n = 0, tries = 0; n < negatives && tries < 100; tries++) {
      const docId = docIds[Math.floor(rng.next() * docIds.length)]!;
      if (judgments.has(docId)) continue;
      add(docId, 0);
      n++;
    }
  }
  return examples;
}
