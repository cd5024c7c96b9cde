// The Retriever contract (src/retrieve/retriever.ts), as one suite every first stage runs: hits ranked
// by score, at most k of them, live documents only, each once, filters honoured, the same answer twice.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Doc } from '../../src/ingest/index.js';
import type { Hit, Retriever, SearchRequest } from '../../src/retrieve/index.js';

export interface RetrieverSubject {
  retriever: Retriever;
  /** The live documents it searches, by id. */
  docs: ReadonlyMap<string, Doc>;
  /** Ids deleted from its index before it opened: never a hit. */
  deleted: ReadonlySet<string>;
  release(): Promise<void>;
}

export interface RetrieverContractOptions {
  /** A reason to skip (a missing model), or false. */
  skip?: string | false;
  /** A query the collection answers (some document matches at least one of its terms). */
  query: string;
  /** A filter some documents pass, and the predicate it means. */
  filter: { spec: NonNullable<SearchRequest['filter']>; passes: (doc: Doc) => boolean };
}

export function retrieverContract(
  name: string,
  open: () => Promise<RetrieverSubject>,
  options: RetrieverContractOptions,
): void {
  describe(`Retriever contract: ${name}`, { skip: options.skip }, () => {
    let subject: RetrieverSubject;
    before(async () => {
      subject = await open();
    });
    after(() => subject?.release());

    const search = (request: Partial<SearchRequest>) =>
      subject.retriever.search({ query: options.query, k: 10, ...request });

    /** Well-formed: at most k hits, finite scores in non-increasing order, live ids, each once. */
    const checkHits = (hits: Hit[], k: number) => {
      assert.ok(hits.length <= k, `${hits.length} hits for k = ${k}`);
      const ids = hits.map((hit) => hit.id);
      assert.equal(new Set(ids).size, ids.length, 'a document appears twice');
      for (const [i, hit] of hits.entries()) {
        assert.ok(Number.isFinite(hit.score), `hit ${i} has score ${hit.score}`);
        if (i > 0) assert.ok(hit.score <= hits[i - 1]!.score, `hit ${i} scores above hit ${i - 1}`);
        assert.ok(subject.docs.has(hit.id), `hit "${hit.id}" is not a live document`);
        assert.ok(!subject.deleted.has(hit.id), `hit "${hit.id}" was deleted`);
      }
    };

    it('returns at most k hits, best first, each a live document once', async () => {
      const hits = await search({ k: 10 });
      assert.ok(hits.length > 0, 'a query the collection answers found nothing');
      checkHits(hits, 10);
    });

    it('k = 0 finds nothing; k = 1 finds the best hit; k past the collection finds at most every live document', async () => {
      assert.deepEqual(await search({ k: 0 }), []);
      const [best] = await search({ k: 10 });
      const one = await search({ k: 1 });
      assert.equal(one.length, 1);
      assert.equal(one[0]!.score, best!.score);
      const all = await search({ k: subject.docs.size + 50 });
      checkHits(all, subject.docs.size);
    });

    it('the top 3 are the first 3 of the top 10 (same scores; same ids where scores differ)', async () => {
      const top3 = await search({ k: 3 });
      const top10 = await search({ k: 10 });
      assert.deepEqual(
        top3.map((hit) => hit.score),
        top10.slice(0, 3).map((hit) => hit.score),
      );
      const tied = (hits: Hit[], i: number) =>
        hits.filter((hit) => hit.score === hits[i]!.score).length > 1 || top10[3]?.score === hits[i]!.score;
      for (let i = 0; i < top3.length; i++) {
        if (!tied(top10, i)) assert.equal(top3[i]!.id, top10[i]!.id);
      }
    });

    it('answers the same request the same way twice', async () => {
      assert.deepEqual(await search({ k: 10 }), await search({ k: 10 }));
      assert.deepEqual(
        await search({ k: 5, filter: options.filter.spec }),
        await search({ k: 5, filter: options.filter.spec }),
      );
    });

    it('returns only documents that pass the filter, and nothing when no document can', async () => {
      const filtered = await search({ k: 10, filter: options.filter.spec });
      assert.ok(filtered.length > 0);
      checkHits(filtered, 10);
      for (const hit of filtered) assert.ok(options.filter.passes(subject.docs.get(hit.id)!), hit.id);
      assert.deepEqual(await search({ k: 10, filter: { __no_such_field__: 'x' } }), []);
    });

    it('an empty query is not an error: at most k well-formed hits', async () => {
      checkHits(await search({ query: '', k: 5 }), 5);
    });
  });
}
