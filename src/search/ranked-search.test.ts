// Unit tests for `retrieve → rank` as the CLI runs it (rankedSearch): a BM25 first stage over a small
// index, and a scripted ranker whose scores are known, so the order, the depths and each stage's scores
// can be checked exactly.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SiftIndex } from '../index/index.js';
import type { RankCandidate, Ranker } from '../rank/index.js';
import { openRetriever } from './open-retriever.js';
import { rankedSearch } from './ranked-search.js';

const DOCS = [
  { id: 'a', title: 'Forklift driver', text: 'Drive a forklift in the warehouse, night shifts.' },
  { id: 'b', title: 'Warehouse picker', text: 'Pick orders in the warehouse; forklift licence a plus.' },
  { id: 'c', title: 'Baker', text: 'Bake bread before dawn.' },
  { id: 'd', title: 'Warehouse lead', text: 'Lead the warehouse team and its forklift drivers.' },
  { id: 'e', title: 'Forklift trainer', text: 'Train new forklift drivers, forklift safety.' },
];

/** Scores a candidate by the length of its text: a known order unlike BM25's. */
function lengthRanker(asked: RankCandidate[][]): Ranker {
  return {
    id: 'by-length',
    score: async (_query, candidates) => {
      asked.push([...candidates]);
      return Float32Array.from(candidates, (c) => c.text.length);
    },
    release: async () => {},
  };
}

describe('rankedSearch', () => {
  let folder: string;
  let index: SiftIndex;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'sift-ranked-search-'));
    index = SiftIndex.create(folder);
    for (const doc of DOCS) index.add({ ...doc, metadata: {} });
    await index.commit();
  });
  after(() => rm(folder, { recursive: true, force: true }));

  it('returns the first stage alone, with its scores as the one stage, when there is no ranker', async () => {
    const { retriever, release } = await openRetriever(index, { mode: 'bm25', quiet: true });
    const result = await rankedSearch(index, retriever, undefined, { query: 'forklift warehouse', k: 3 });
    await release();
    assert.equal(result.hits.length, 3);
    for (const hit of result.hits) assert.deepEqual(Object.keys(hit.stages), ['bm25']);
    assert.equal(result.timings.rankMs, undefined);
    assert.ok(!result.hits.some((hit) => hit.id === 'c'));
  });

  it('reranks the top rerankDepth with the documents it stores, keeps k, and reports both stages', async () => {
    const { retriever, release } = await openRetriever(index, { mode: 'bm25', quiet: true });
    const first = await rankedSearch(index, retriever, undefined, { query: 'forklift warehouse', k: 10 });
    const asked: RankCandidate[][] = [];
    const result = await rankedSearch(index, retriever, lengthRanker(asked), {
      query: 'forklift warehouse',
      k: 2,
      rerankDepth: 3,
    });
    await release();
    // The ranker saw the first stage's top 3, with their stored titles and texts.
    assert.deepEqual(
      asked[0]?.map((c) => c.id),
      first.hits.slice(0, 3).map((h) => h.id),
    );
    const stored = new Map(DOCS.map((d) => [d.id, d]));
    for (const c of asked[0] ?? []) assert.equal(c.text, stored.get(c.id)?.text);
    // The best two of those three by text length, each with its BM25 and ranker scores.
    const expected = [...(asked[0] ?? [])].sort((x, y) => y.text.length - x.text.length).slice(0, 2);
    assert.deepEqual(
      result.hits.map((h) => h.id),
      expected.map((c) => c.id),
    );
    for (const hit of result.hits) {
      assert.equal(hit.stages['by-length'], stored.get(hit.id)?.text.length);
      assert.equal(hit.stages.bm25, first.hits.find((h) => h.id === hit.id)?.score);
    }
    assert.ok((result.timings.rankMs ?? -1) >= 0);
  });
});
