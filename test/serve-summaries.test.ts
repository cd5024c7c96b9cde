// `sift serve --rerank-summaries N`: the rankers read each document's stored summary instead of its full
// text, and a summary made from older text is never used. The deterministic test ranker 'overlap' scores
// the distinct query words found in a candidate's title and text, so its score shows what it read.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { SiftIndex, SummaryFile } from '../src/index/index.js';
import { homeWithDemoIndex, request, startTestServer } from './lib/serve-harness.js';

let home: string;
let indexDir: string;

before(async () => {
  // The synthetic corpus's index, built once; every server below serves that folder.
  ({ home, indexDir } = await homeWithDemoIndex(40));
});

test('rankers read the stored summary of a document, and the full text when its summary is stale', async () => {
  const index = await SiftIndex.open(indexDir);
  const doc = index.docs.get(index.docs.liveOrdinals()[0]!);
  const titleWord = doc.title.toLowerCase().match(/[a-z]{4,}/)![0];
  const summaries = await SummaryFile.open(indexDir, { method: 'extractive', budget: 64 });
  // A summary that holds a word the document never uses: only a ranker reading the summary can find it.
  await summaries.append([{ id: doc.id, doc, summary: 'zyxwvut' }]);
  const other = index.docs.get(index.docs.liveOrdinals()[1]!);
  await summaries.append([
    { id: other.id, doc: { ...other, text: `${other.text} (older)` }, summary: 'zyxwvut' },
  ]);

  const rerankScore = async (settings: Record<string, number | string>, id: string, query: string) => {
    const server = await startTestServer(home, { index: indexDir, embedder: 'none', ...settings });
    try {
      const response = await request(server.url, 'POST', '/v1/search', {
        query,
        k: 40,
        mode: 'bm25',
        rerank: 'overlap',
        rerankDepth: 40,
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const hit = response.body.results.find((r: { id: string }) => r.id === id);
      assert.ok(hit, `${id} retrieved for "${query}"`);
      return hit.stages.rerank as number;
    } finally {
      await server.close();
    }
  };
  const query = `${titleWord} zyxwvut`;
  assert.equal(await rerankScore({}, doc.id, query), 1, 'full text: only the title word');
  assert.equal(
    await rerankScore({ rerankSummaries: 64 }, doc.id, query),
    2,
    'summary read: title word and zyxwvut',
  );
  // The other document's summary was made from older text: the ranker reads its full text instead.
  const otherWord = other.title.toLowerCase().match(/[a-z]{4,}/)![0];
  assert.equal(await rerankScore({ rerankSummaries: 64 }, other.id, `${otherWord} zyxwvut`), 1);
});
