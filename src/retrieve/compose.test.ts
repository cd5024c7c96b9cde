import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DocStore } from '../index/index.js';
import type { Encoder } from '../models/index.js';
import { composeRetriever } from './compose.js';
import { DenseRetriever, type VectorSearcher } from './dense.js';
import type { Hit, Retriever } from './retriever.js';

/** Scores row i by the query vector's i-th value: the hits show which vector the search used. */
const searcher: VectorSearcher = {
  async search(queries, _n, k) {
    const scored = [...queries].map((score, ord) => ({ ord, score }));
    return [scored.sort((a, b) => b.score - a.score).slice(0, k)];
  },
};

function docs(): DocStore {
  const store = new DocStore();
  for (const id of ['a', 'b', 'c']) store.add({ id, title: id, text: id, metadata: {} });
  return store;
}

const encoder: Encoder = {
  id: 'fixed',
  dimension: 3,
  normalized: true,
  async encode() {
    return Float32Array.from([0.1, 0.9, 0.5]);
  },
  async release() {},
};

const lexical: Retriever = {
  name: 'bm25',
  async search({ k }): Promise<Hit[]> {
    return [{ id: 'c', ord: 2, score: 3 }].slice(0, k);
  },
};

describe('dense retrieval with a query vector in the request', () => {
  it('uses the request vector over the encoder, and the encoder when none is given', async () => {
    const dense = new DenseRetriever(docs(), encoder, searcher);
    assert.equal((await dense.search({ query: 'q', k: 1 }))[0]!.id, 'b');
    const given = Float32Array.from([0.9, 0.1, 0.2]);
    assert.equal((await dense.search({ query: 'q', k: 1, vector: given }))[0]!.id, 'a');
  });

  it('refuses a vector of the wrong width, and a request without one when there is no encoder', async () => {
    const dense = new DenseRetriever(docs(), encoder, searcher);
    await assert.rejects(
      dense.search({ query: 'q', k: 1, vector: new Float32Array(2) }),
      /has 2 values; fixed makes 3/,
    );
    const engineSide = new DenseRetriever(docs(), undefined, searcher);
    await assert.rejects(engineSide.search({ query: 'q', k: 1 }), /needs the query vector/);
  });
});

describe('composeRetriever', () => {
  it('gives the lexical retriever for bm25, the dense one for dense, and both fused for hybrid', async () => {
    const dense = new DenseRetriever(docs(), encoder, searcher);
    assert.equal(composeRetriever('bm25', { lexical, dense }), lexical);
    assert.equal(composeRetriever('dense', { lexical, dense }), dense);
    const hybrid = composeRetriever('hybrid', { lexical, dense });
    assert.equal(hybrid.name, 'hybrid');
    const ids = (await hybrid.search({ query: 'q', k: 3 })).map((h) => h.id);
    assert.deepEqual(ids.slice(0, 2).sort(), ['b', 'c'], 'each list’s best is fused to the top');
  });

  it('refuses dense and hybrid without a dense retriever (E_MODE_UNAVAILABLE)', () => {
    assert.throws(() => composeRetriever('dense', { lexical }), /needs an embedder/);
    assert.throws(() => composeRetriever('hybrid', { lexical }), /needs an embedder/);
  });
});
