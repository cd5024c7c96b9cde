// A few judged (query, document) pairs of a shared collection with their texts, for tests and benchmarks
// that need real pairs for a judge or a ranker: the first pairs of dbpedia-entity-subset's test qrels, one
// per query, alternating relevant and non-relevant so that both answers are exercised.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '../../src/util/index.js';

export interface JudgedPair {
  queryId: string;
  docId: string;
  query: string;
  title: string;
  text: string;
}

export function judgedPairs(count: number, collection = 'dbpedia-entity-subset'): JudgedPair[] {
  const dir = join(sharedDir(), 'data', collection);
  const lines = (name: string) => readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean);
  const queries = new Map(
    lines('queries.jsonl').map((l) => {
      const q = JSON.parse(l) as { _id: string; text: string };
      return [q._id, q.text] as const;
    }),
  );
  const wanted = new Map<string, string>();
  const used = new Set<string>();
  for (const row of lines('qrels/test.tsv').slice(1)) {
    const [queryId = '', docId = '', grade = '0'] = row.split('\t');
    const wantRelevant = wanted.size % 2 === 0;
    if (queries.has(queryId) && !used.has(queryId) && (grade !== '0') === wantRelevant) {
      wanted.set(docId, queryId);
      used.add(queryId);
    }
    if (wanted.size === count) break;
  }
  const pairs: JudgedPair[] = [];
  for (const l of lines('corpus.jsonl')) {
    const doc = JSON.parse(l) as { _id: string; title: string; text: string };
    const queryId = wanted.get(doc._id);
    if (queryId)
      pairs.push({
        queryId,
        docId: doc._id,
        title: doc.title,
        text: doc.text,
        query: queries.get(queryId) ?? '',
      });
  }
  return pairs;
}
