// Hybrid's top N for a seeded sample of a collection's test queries, with the text of every document in
// them: what a bench that reranks the first stage by hand (not through `--rerank`) starts from.

import { readBeirCorpus } from '../../src/ingest/index.js';
import { type CollectionEvalOutcome, evaluateCollection } from '../../src/search/index.js';
import { siftPaths } from '../../src/util/index.js';

export interface HybridTop {
  hybrid: CollectionEvalOutcome;
  /** Query id → its text. */
  queryText: Map<string, string>;
  /** Every document in some query's top N, by id. */
  docs: Map<string, { title: string; text: string }>;
}

export async function hybridTop(folder: string, maxQueries: number, depth: number): Promise<HybridTop> {
  const hybrid = await evaluateCollection(folder, {
    mode: 'hybrid',
    indexesRoot: siftPaths().indexes,
    split: 'test',
    maxQueries,
    quiet: true,
  });
  const wanted = new Set<string>();
  for (const list of hybrid.run.values()) for (const d of list.slice(0, depth)) wanted.add(d.docId);
  const docs = new Map<string, { title: string; text: string }>();
  for await (const doc of readBeirCorpus(hybrid.collection.corpusPath))
    if (wanted.has(doc.id)) docs.set(doc.id, { title: doc.title, text: doc.text });
  const queryText = new Map(hybrid.collection.queries.map((q) => [q.id, q.text]));
  return { hybrid, queryText, docs };
}
