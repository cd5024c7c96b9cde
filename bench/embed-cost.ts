// Question: what does one document cost each embedder, in CPU time, on this machine?
//
// Encodes the same documents (title + text of the first N documents of a BEIR corpus) with each embedder
// on one intra-op thread and reports CPU-seconds per document and per token (process.cpuUsage). CPU time,
// unlike wall time, barely moves when other processes share the cores, so it compares models on a busy
// machine; docs/s on C idle cores is about C / (CPU-s per doc).
//
//   npm run build && node dist/bench/embed-cost.js [--corpus FILE] [--docs 24] [--embedders id,id,…]

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openEmbedder } from '../src/models/index.js';
import { sharedDir } from '../src/util/index.js';
import { machineInfo, positiveIntArg, printTable, stringArg, writeResult } from './lib/report.js';

async function main(): Promise<void> {
  const corpus = stringArg('--corpus', join(sharedDir(), 'data', 'dbpedia-entity-subset', 'corpus.jsonl'));
  const count = positiveIntArg('--docs', 24);
  const embedders = stringArg(
    '--embedders',
    'all-minilm-l6-v2,all-mpnet-base-v2,nomic-embed-text-v1.5',
  ).split(',');
  const docs = readFileSync(corpus, 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, count)
    .map((line) => JSON.parse(line) as { title: string; text: string })
    .map((doc) => `${doc.title}\n${doc.text}`);
  const rows = [];
  for (const id of embedders) {
    const encoder = await openEmbedder(id, { quiet: true, threads: 1 });
    try {
      await encoder.encode(docs.slice(0, 4), 'document');
      const before = process.cpuUsage();
      const started = performance.now();
      await encoder.encode(docs, 'document');
      const used = process.cpuUsage(before);
      const cpuSeconds = (used.user + used.system) / 1e6;
      const tokens = encoder.tokenize(docs, 'document').reduce((sum, row) => sum + row.length, 0);
      rows.push({
        embedder: id,
        docs: docs.length,
        'tokens/doc': tokens / docs.length,
        'CPU-s/doc': cpuSeconds / docs.length,
        'CPU-ms/token': (1000 * cpuSeconds) / tokens,
        'wall s': (performance.now() - started) / 1000,
        '≈ docs/s on 2 idle cores': (2 * docs.length) / cpuSeconds,
      });
    } finally {
      await encoder.release();
    }
  }
  console.log(`\nEmbedding cost per document, one thread (${machineInfo().cpu}, Node ${process.version})\n`);
  printTable(rows, 3);
  writeResult('embed-cost', { question: 'CPU time per document of each embedder', corpus, rows });
}

await main();
