// Question: does the cross-encoder student lack relevance knowledge that its corpora could teach without
// any label? The students distilled from the judge's few hundred labels (bench/distill.ts) rerank worse
// than hybrid, and fit their own training pairs (bench/overfit-probe.ts): they see too few queries to
// learn a relevance function that transfers. Self-supervised pairs cost no judge time: each sampled
// document's title is a query whose positive is the document's text, and BM25's other top hits for that
// title are its hard negatives (the inverse-cloze / title-body pairs of Lee et al. 2019 and Chang et al.
// 2020, built from the corpus alone). Titles are hidden from every candidate, so a title's words cannot
// give the positive away.
//
// Per collection (cranfield, dbpedia-entity-subset, the demo jobs): --docs documents with a title of 2+
// words, seeded sample; candidates = the document + up to --negatives BM25 hits. One run of the default
// preset's engine settings (listwise softmax over each query's candidates, all-minilm-l6-v2 with a new
// head, AdamW, warm-up and linear decay, dropout 0.1) for --epochs, 5% of the queries held out as dev.
// The best checkpoint is installed as --id, for bench/distill.ts to rerank hybrid's top 100 on the test
// queries (human labels the model never saw; no label of any kind was used here).
//
// --query-form sentence makes inverse-cloze pairs instead (Lee et al. 2019): a sentence of 5–40 words
// from the document's text is the query, the text without it the positive, and BM25's hits for the
// sentence the negatives, each with one random sentence cut too, so that neither a missing sentence nor
// length marks the positive.
//
//   npm run build && node dist/bench/ce-selfsup.js [--docs 300] [--negatives 7] [--epochs 1] [--lr 5e-5] [--max-length 128]
//     [--query-form title|sentence] [--id sift-ce-selfsup] [--name ce-selfsup]
//   node dist/bench/distill.js --rankers sift-ce-selfsup --embedders none --max-queries 25 --name distill-ce-selfsup
// Results: bench/results/ce-selfsup.json (the run) and distill-ce-selfsup.json (its reranking).

import { basename, join } from 'node:path';
import { installTrainedModel } from '../src/models/index.js';
import { openCollection, openRetriever } from '../src/search/index.js';
import { type TrainingExample, trainCrossEncoder } from '../src/train/index.js';
import { Mulberry32, mulberry32, siftPaths } from '../src/util/index.js';
import { learnedRankerCollections } from './lib/learned-collections.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

const words = (text: string) => text.split(/\s+/).filter((w) => w.length > 0);

/** Sentences of a text: split after . ! or ? followed by white space. */
const sentencesOf = (text: string) =>
  text
    .split(/(?<=[.!?])\s+/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.length > 0);

/** The text without one of its sentences, picked by `random` (the inverse cloze task's context). */
function withoutOneSentence(
  text: string,
  random: () => number,
  keep?: string,
): { text: string; removed: string } {
  const sentences = sentencesOf(text);
  const candidates = sentences.filter((sentence) => sentence !== keep);
  const removed = keep ?? candidates[Math.floor(random() * candidates.length)] ?? '';
  return { text: sentences.filter((sentence) => sentence !== removed).join(' '), removed };
}

type QueryForm = 'title' | 'sentence';

async function selfSupervisedPairs(
  folder: string,
  docs: number,
  negatives: number,
  seed: number,
  form: QueryForm,
): Promise<TrainingExample[]> {
  const { index } = await openCollection(folder, siftPaths().indexes, true);
  const { retriever, release } = await openRetriever(index, { mode: 'bm25', quiet: true });
  const name = basename(folder);
  const random = mulberry32(seed + 7);
  // A sentence query is one of 5–40 words, from a text that keeps ≥ 20 words without it.
  const querySentence = (text: string) => {
    const fitting = sentencesOf(text).filter((sentence) => {
      const n = words(sentence).length;
      return n >= 5 && n <= 40 && words(text).length - n >= 20;
    });
    return fitting.length > 0 ? fitting[Math.floor(random() * fitting.length)] : undefined;
  };
  const ords = Array.from({ length: index.docs.size }, (_, ord) => ord).filter((ord) => {
    if (!index.docs.isLive(ord)) return false;
    const doc = index.docs.get(ord);
    if (form === 'sentence') return sentencesOf(doc.text).length >= 2 && words(doc.text).length >= 25;
    return words(doc.title).length >= 2 && words(doc.text).length >= 20;
  });
  new Mulberry32(seed).shuffle(ords);
  const examples: TrainingExample[] = [];
  try {
    for (const ord of ords.slice(0, docs)) {
      const doc = index.docs.get(ord);
      const query = form === 'title' ? doc.title : querySentence(doc.text);
      if (!query) continue;
      const hits = await retriever.search({ query, k: negatives + 1 });
      const others = hits.filter((hit) => hit.id !== doc.id).slice(0, negatives);
      if (others.length === 0) continue;
      const queryId = `${name}:${doc.id}`;
      // Sentence queries (the inverse cloze task): the query sentence is cut from its document, and one
      // sentence from every negative too, so that a missing sentence, or length, gives nothing away.
      const textOf = (id: string) => {
        const text = index.docs.getById(id)?.text ?? '';
        if (form === 'title') return text;
        return withoutOneSentence(text, random, id === doc.id ? query : undefined).text;
      };
      const candidate = (id: string, grade: number): TrainingExample => ({
        queryId,
        docId: id,
        query,
        title: '',
        text: textOf(id),
        grade,
        gradeNormalized: grade,
        softLabel: null,
        pYes: null,
      });
      examples.push(candidate(doc.id, 1), ...others.map((hit) => candidate(hit.id, 0)));
    }
  } finally {
    await release();
  }
  return examples;
}

async function main(): Promise<void> {
  const docs = positiveIntArg('--docs', 300);
  const negatives = positiveIntArg('--negatives', 7);
  const epochs = positiveIntArg('--epochs', 1);
  const maxLength = positiveIntArg('--max-length', 128);
  const learningRate = Number(stringArg('--lr', '5e-5'));
  const id = stringArg('--id', 'sift-ce-selfsup');
  const seed = 42;
  const form = stringArg('--query-form', 'title');
  if (form !== 'title' && form !== 'sentence')
    throw new Error(`--query-form takes title or sentence, not ${form}`);
  const examples: TrainingExample[] = [];
  const perCollection: Record<string, string | number>[] = [];
  for (const folder of await learnedRankerCollections()) {
    const pairs = await selfSupervisedPairs(folder, docs, negatives, seed, form);
    const queries = new Set(pairs.map((e) => e.queryId)).size;
    perCollection.push({ collection: basename(folder), queries, examples: pairs.length });
    examples.push(...pairs);
  }
  console.log(`self-supervised pairs (${form} queries, BM25 negatives)`);
  printTable(perCollection);
  // 5% of the queries, by a seeded draw, are dev.
  const random = mulberry32(seed + 1);
  const queryIds = [...new Set(examples.map((e) => e.queryId))];
  const devIds = new Set(queryIds.filter(() => random() < 0.05));
  const train = examples.filter((e) => !devIds.has(e.queryId));
  const dev = examples.filter((e) => devIds.has(e.queryId));
  const outDir = join(
    siftPaths().home,
    'train',
    id,
    `selfsup-${form}-${docs}-${negatives}-${epochs}-${learningRate}`,
  );
  const started = performance.now();
  const settings = {
    loss: 'listwise' as const,
    teacherScores: 'grade' as const,
    epochs,
    batchSize: 16,
    learningRate,
    warmupRatio: 0.1,
    decay: 'linear' as const,
    weightDecay: 0.01,
    maxGradNorm: 1,
    maxLength,
    dropout: 0.1,
    seed,
    patience: 3,
  };
  const stepsPerEpoch = Math.ceil(train.length / settings.batchSize);
  const result = await trainCrossEncoder({
    modelDir: join(siftPaths().models, 'all-minilm-l6-v2'),
    outDir,
    train,
    dev,
    ...settings,
    evalEvery: Math.max(1, Math.floor(stepsPerEpoch / 4)),
  });
  const seconds = (performance.now() - started) / 1000;
  const card = {
    version: 1 as const,
    kind: 'cross-encoder' as const,
    id,
    preset: 'custom',
    base: 'all-minilm-l6-v2',
    createdAt: new Date().toISOString(),
    description: `bench/ce-selfsup.ts: ${form === 'title' ? 'title → text' : 'sentence → rest of its text (inverse cloze)'} pairs with BM25 negatives from the corpora themselves, no labels`,
    data: perCollection,
    settings,
    steps: result.steps,
    bestDevNdcg10: result.bestDevNdcg10,
    dev: result.dev,
  };
  await installTrainedModel(result.bestCheckpoint, card);
  console.log('dev (held-out self-supervised queries)');
  printTable(result.dev.map((d) => ({ step: d.step, 'ndcg@10': d.ndcg10, loss: d.loss ?? '' })));
  writeResult(stringArg('--name', 'ce-selfsup'), {
    machine: machineInfo(),
    question:
      'a cross-encoder trained on self-supervised title → text pairs (no labels): installed for bench/distill.ts',
    queryForm: form,
    pairs: perCollection,
    examples: { train: train.length, dev: dev.length },
    settings,
    steps: result.steps,
    seconds,
    examplesPerSecond: (train.length * epochs) / seconds,
    dev: result.dev,
    installed: id,
  });
}

await main();
