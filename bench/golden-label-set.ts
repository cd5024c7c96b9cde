// Writes a training label file from people's labels instead of the judge's (the issue's "golden labels
// alone" source): for each *training* query of each collection (the fixed hash split; test queries stay
// unseen), a seeded sample of its judged documents with their human grade, plus random unjudged documents
// of the corpus as grade 0. Same JSONL form as `sift judge export`, so `sift train --labels` reads it.
// The question it serves: with as many labels as it wants, does the cross-encoder learn, i.e. is the
// student limited by the engine or by the judge's few hundred labels?
//
//   npm run build && node dist/bench/golden-label-set.js --out F [--collections jobs,dbpedia]
//     [--judged 12] [--negatives 4]
// Then: sift train --preset default --labels F --target grade --id sift-ce-golden [--epochs N]

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { loadBeirCollection, querySplit } from '../src/ingest/index.js';
import { corpusTexts, highestGrade } from '../src/train/index.js';
import { Mulberry32 } from '../src/util/index.js';
import { learnedRankerCollections } from './lib/learned-collections.js';
import { positiveIntArg, stringArg } from './lib/report.js';

async function main(): Promise<void> {
  const out = stringArg('--out', '');
  if (out === '') throw new Error('--out FILE is required');
  const only = stringArg('--collections', 'jobs,dbpedia').split(',').filter(Boolean);
  const judgedPerQuery = positiveIntArg('--judged', 12);
  const negativesPerQuery = positiveIntArg('--negatives', 4);
  const folders = (await learnedRankerCollections()).filter((f) =>
    only.some((name) => f.split('/').pop()!.startsWith(name)),
  );
  const file = createWriteStream(out);
  for (const folder of folders) {
    const collection = await loadBeirCollection(folder, {});
    const docs = await corpusTexts(collection.corpusPath);
    const docIds = [...docs.keys()];
    const maxGrade = highestGrade(collection.qrels);
    const rng = new Mulberry32(2027);
    let pairs = 0;
    let queries = 0;
    for (const query of collection.queries) {
      const judged = collection.qrels.get(query.id);
      if (!judged || querySplit(query.id) !== 'train') continue;
      const picked: [string, number][] = rng.shuffle([...judged]).slice(0, judgedPerQuery);
      for (let n = 0, tries = 0; n < negativesPerQuery && tries < 1000; tries++) {
        const docId = docIds[Math.floor(rng.next() * docIds.length)]!;
        if (judged.has(docId) || picked.some(([d]) => d === docId)) continue;
        picked.push([docId, 0]);
        n++;
      }
      for (const [docId, grade] of picked) {
        const doc = docs.get(docId);
        if (!doc) continue;
        const g = Math.max(0, grade);
        const line = {
          query_id: query.id,
          doc_id: docId,
          query: query.text,
          title: doc.title,
          text: doc.text,
          grade: g,
          grade_normalized: g / maxGrade,
          source: 'human qrels',
        };
        if (!file.write(`${JSON.stringify(line)}\n`)) await once(file, 'drain');
        pairs++;
      }
      queries++;
    }
    console.log(
      `${collection.name}: ${pairs} pairs over ${queries} training queries (max grade ${maxGrade})`,
    );
  }
  file.end();
  await once(file, 'finish');
  console.log(`wrote ${out}`);
}

await main();
