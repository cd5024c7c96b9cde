// Runs the Retriever contract against every local first stage: BM25, dense (all-MiniLM-L6-v2 from
// SIFT_HOME) and hybrid, over 40 Cranfield documents (one deleted before the retriever opens).

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SiftIndex } from '../../src/index/index.js';
import type { Doc } from '../../src/ingest/index.js';
import { openRetriever, type RetrievalMode } from '../../src/search/index.js';
import { sharedDir } from '../../src/util/index.js';
import { modelSkip } from '../lib/model-skip.js';
import { type RetrieverSubject, retrieverContract } from './retriever-contract.js';

const DELETED = '7';

async function cranfield(): Promise<Doc[]> {
  const lines = (await readFile(join(sharedDir(), 'data', 'cranfield', 'corpus.jsonl'), 'utf8'))
    .split('\n')
    .slice(0, 40);
  return lines.map((line) => {
    const record = JSON.parse(line) as { _id: string; title: string; text: string };
    return {
      id: record._id,
      title: record.title,
      text: record.text,
      metadata: { even: Number(record._id) % 2 === 0 },
    };
  });
}

async function open(mode: RetrievalMode): Promise<RetrieverSubject> {
  const folder = await mkdtemp(join(tmpdir(), `sift-contract-${mode}-`));
  const index = SiftIndex.create(folder);
  const docs = await cranfield();
  for (const doc of docs) index.add(doc);
  index.delete(DELETED);
  await index.commit();
  const opened = await openRetriever(index, { mode, quiet: true });
  return {
    retriever: opened.retriever,
    docs: new Map(docs.filter((doc) => doc.id !== DELETED).map((doc) => [doc.id, doc])),
    deleted: new Set([DELETED]),
    release: async () => {
      await opened.release();
      await rm(folder, { recursive: true, force: true });
    },
  };
}

const options = {
  query: 'heat transfer in the laminar boundary layer',
  filter: { spec: { even: true }, passes: (doc: Doc) => doc.metadata?.['even'] === true },
};

retrieverContract('bm25', () => open('bm25'), options);
const noEmbedder = modelSkip('all-minilm-l6-v2');
retrieverContract('dense (all-minilm-l6-v2)', () => open('dense'), { ...options, skip: noEmbedder });
retrieverContract('hybrid (bm25 + all-minilm-l6-v2)', () => open('hybrid'), { ...options, skip: noEmbedder });
