// The collections learned rankers are measured on: the two shown BEIR collections and the demo job
// collection the committed label sets were made on (scripts/make-label-sets.sh: seed 2026, 5,000 postings).

import { join } from 'node:path';
import { ensureDemoCollection } from '../../src/demo/index.js';
import { sharedDir, siftPaths } from '../../src/util/index.js';

export async function learnedRankerCollections(): Promise<string[]> {
  const demo = await ensureDemoCollection({ root: siftPaths().collections, seed: 2026, docs: 5000 });
  const shared = sharedDir();
  return [join(shared, 'data', 'cranfield'), join(shared, 'data', 'dbpedia-entity-subset'), demo.folder];
}
