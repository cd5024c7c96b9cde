// Question: can a cross-encoder built on a bi-encoder start from a score that already ranks? A new
// [CLS] head starts from nothing (a random order of hybrid's top 100 until it learns); a head that reads
// the encoder's own sentence representation does not. On hybrid's top N for seeded test queries this
// scores, with the untrained all-MiniLM-L6-v2 weights in the training engine:
//   - joint: one pass over [CLS] query [SEP] document [SEP]; the cosine of the mean of the query
//     segment's states and the mean of the document segment's states (no new parameters);
//   - separate: the bi-encoder itself (query and document in separate passes, mean pooled), the same
//     thing dense retrieval computes;
//   - hybrid's own order, and a seeded random order of the same top N.
//
//   npm run build && node dist/bench/ce-init-probe.js [--max-queries 10] [--depth 50] [--max-length 128]
// Results: bench/results/ce-init-probe.json.

import { join } from 'node:path';
import { evaluateRun, type Run } from '../src/eval/index.js';
import {
  bertWeights,
  loadTokenizer,
  readBertConfig,
  readSafetensors,
  trainableCheckpoint,
} from '../src/models/index.js';
import { BertEncoder } from '../src/train/index.js';
import { mulberry32 } from '../src/util/index.js';
import { hybridTop } from './lib/hybrid-top.js';
import { learnedRankerCollections } from './lib/learned-collections.js';
import { machineInfo, positiveIntArg, printTable, writeResult } from './lib/report.js';

const MAX_QUERIES = positiveIntArg('--max-queries', 10);
const DEPTH = positiveIntArg('--depth', 50);
const MAX_LENGTH = positiveIntArg('--max-length', 128);

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb + 1e-12);
}

/** Mean of rows [from, to) of one sequence's states. */
function meanRows(states: Float32Array, base: number, from: number, to: number, h: number): Float32Array {
  const out = new Float32Array(h);
  for (let t = from; t < to; t++) for (let j = 0; j < h; j++) out[j]! += states[(base + t) * h + j]!;
  for (let j = 0; j < h; j++) out[j]! /= Math.max(1, to - from);
  return out;
}

async function main(): Promise<void> {
  const dir = await trainableCheckpoint('all-minilm-l6-v2', { quiet: true });
  const { config } = await readBertConfig(dir);
  const tokenizer = await loadTokenizer(dir, { maxLength: MAX_LENGTH });
  const encoder = BertEncoder.fromWeights(
    bertWeights(await readSafetensors(join(dir, 'model.safetensors')), config),
    config,
  );
  const h = encoder.hidden;

  const forward = (rows: { ids: ArrayLike<number>; typeIds: ArrayLike<number> }[]) => {
    const seq = Math.max(...rows.map((r) => r.ids.length));
    const batch = rows.length;
    const ids = new Int32Array(batch * seq);
    const typeIds = new Int32Array(batch * seq);
    const lengths = new Int32Array(batch);
    rows.forEach((r, b) => {
      ids.set(r.ids, b * seq);
      typeIds.set(r.typeIds, b * seq);
      lengths[b] = r.ids.length;
    });
    return { states: encoder.forward({ batch, seq, ids, typeIds, lengths }), seq };
  };
  const embed = (texts: string[]): Float32Array[] => {
    const enc = tokenizer.encodeBatch(texts, { maxLength: MAX_LENGTH });
    const { states, seq } = forward(enc.ids.map((ids, i) => ({ ids, typeIds: enc.typeIds[i]! })));
    return enc.ids.map((ids, b) => meanRows(states, b * seq, 0, ids.length, h));
  };

  const rows: Record<string, string | number>[] = [];
  for (const folder of await learnedRankerCollections()) {
    const top = await hybridTop(folder, MAX_QUERIES, DEPTH);
    const { hybrid, queryText } = top;
    const docs = new Map(
      [...top.docs].map(([id, d]) => [id, d.title.trim() === '' ? d.text : `${d.title}\n${d.text}`]),
    );
    const runs: Record<string, Run> = {
      hybrid: new Map(),
      random: new Map(),
      joint: new Map(),
      separate: new Map(),
    };
    const rng = mulberry32(11);
    const started = performance.now();
    for (const [queryId, list] of hybrid.run) {
      const top = list.slice(0, DEPTH);
      const query = queryText.get(queryId)!;
      const texts = top.map((d) => docs.get(d.docId) ?? '');
      const [queryVector] = embed([query]);
      const joint: number[] = [];
      const separate: number[] = [];
      for (let i = 0; i < texts.length; i += 8) {
        const chunk = texts.slice(i, i + 8);
        for (const v of embed(chunk)) separate.push(cosine(queryVector!, v));
        const enc = tokenizer.encodePairs(
          chunk.map(() => query),
          chunk,
          { maxLength: MAX_LENGTH, truncation: 'only_second' },
        );
        const { states, seq } = forward(enc.ids.map((ids, j) => ({ ids, typeIds: enc.typeIds[j]! })));
        enc.ids.forEach((ids, b) => {
          const second = enc.typeIds[b]!.indexOf(1);
          const q = meanRows(states, b * seq, 0, second, h);
          const d = meanRows(states, b * seq, second, ids.length, h);
          joint.push(cosine(q, d));
        });
      }
      const order = (scores: number[]) =>
        top.map((d, i) => ({ docId: d.docId, score: scores[i]! })).sort((a, b) => b.score - a.score);
      runs['hybrid']!.set(queryId, top);
      runs['random']!.set(queryId, order(top.map(() => rng())));
      runs['joint']!.set(queryId, order(joint));
      runs['separate']!.set(queryId, order(separate));
    }
    const seconds = (performance.now() - started) / 1000;
    for (const [name, run] of Object.entries(runs)) {
      const qrels = new Map([...hybrid.run.keys()].map((q) => [q, hybrid.collection.qrels.get(q)!]));
      const result = evaluateRun(run, qrels);
      rows.push({
        collection: hybrid.collection.name,
        order: name,
        queries: result.queries,
        'ndcg@10': result.metrics['ndcg@10']!,
      });
    }
    console.error(`${hybrid.collection.name}: ${seconds.toFixed(0)} s`);
  }
  printTable(rows);
  await writeResult('ce-init-probe', {
    machine: machineInfo(),
    settings: { maxQueries: MAX_QUERIES, depth: DEPTH, maxLength: MAX_LENGTH },
    rows,
  });
}

await main();
