// Runs the Retriever contract against every first stage: BM25, dense (all-MiniLM-L6-v2 from SIFT_HOME)
// and hybrid, locally and on the Weaviate backend (a live cluster: SIFT_WEAVIATE_URL), over 40 Cranfield
// documents (one deleted before the retriever opens).

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SiftIndex } from '../../src/index/index.js';
import type { Doc } from '../../src/ingest/index.js';
import { connectWeaviate } from '../../src/remote/index.js';
import { openRemoteRetriever, openRetriever, type RetrievalMode } from '../../src/search/index.js';
import { sharedDir } from '../../src/util/index.js';
import { modelSkip } from '../lib/model-skip.js';
import { clusterSuite } from '../lib/weaviate-cluster.js';
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

async function cranfieldIndex(
  mode: RetrievalMode,
): Promise<{ index: SiftIndex; docs: Doc[]; folder: string }> {
  const folder = await mkdtemp(join(tmpdir(), `sift-contract-${mode}-`));
  const index = SiftIndex.create(folder);
  const docs = await cranfield();
  for (const doc of docs) index.add(doc);
  index.delete(DELETED);
  await index.commit();
  return { index, docs, folder };
}

function subject(
  retriever: RetrieverSubject['retriever'],
  docs: Doc[],
  release: () => Promise<void>,
): RetrieverSubject {
  return {
    retriever,
    docs: new Map(docs.filter((doc) => doc.id !== DELETED).map((doc) => [doc.id, doc])),
    deleted: new Set([DELETED]),
    release,
  };
}

async function open(mode: RetrievalMode): Promise<RetrieverSubject> {
  const { index, docs, folder } = await cranfieldIndex(mode);
  const opened = await openRetriever(index, { mode, quiet: true });
  return subject(opened.retriever, docs, async () => {
    await opened.release();
    await rm(folder, { recursive: true, force: true });
  });
}

/** The same index imported into a Weaviate collection of its own, dropped again on release. */
async function openOnWeaviate(url: string, mode: RetrievalMode): Promise<RetrieverSubject> {
  const { index, docs, folder } = await cranfieldIndex(mode);
  const connection = await connectWeaviate(url);
  const opened = await openRemoteRetriever(connection, index, {
    mode,
    quiet: true,
    embedder: 'all-minilm-l6-v2',
    collection: `SiftContract_${mode}_${process.pid}_${Date.now()}`,
  });
  return subject(opened.retriever, docs, async () => {
    await opened.release();
    await opened.collection.drop().catch(() => {});
    await connection.close();
    await rm(folder, { recursive: true, force: true });
  });
}

const options = {
  query: 'heat transfer in the laminar boundary layer',
  filter: { spec: { even: true }, passes: (doc: Doc) => doc.metadata?.['even'] === true },
};

retrieverContract('bm25', () => open('bm25'), options);
const noEmbedder = modelSkip('all-minilm-l6-v2');
retrieverContract('dense (all-minilm-l6-v2)', () => open('dense'), { ...options, skip: noEmbedder });
retrieverContract('hybrid (bm25 + all-minilm-l6-v2)', () => open('hybrid'), { ...options, skip: noEmbedder });

clusterSuite('Retriever contract on Weaviate', (url) => {
  for (const mode of ['bm25', 'dense', 'hybrid'] as const) {
    retrieverContract(`weaviate ${mode} (all-minilm-l6-v2)`, () => openOnWeaviate(url, mode), {
      ...options,
      skip: noEmbedder,
    });
  }
});
