// The Ranker contract (src/rank/types.ts), as one suite every second stage runs: one finite score per
// candidate, in the candidates' order, the same twice, the same whatever else is in the batch or where,
// nothing for no candidates, and a document longer than the model reads truncated rather than refused.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RankCandidate, Ranker } from '../../src/rank/index.js';

export interface RankerContractOptions {
  skip?: string | false;
  /** Largest |difference| allowed between a candidate's score in a batch and alone, or in another order. */
  tolerance: number;
}

const QUERY = 'heat transfer in the laminar boundary layer';
const CANDIDATES: RankCandidate[] = [
  {
    id: 'heat',
    title: 'Heat transfer in laminar boundary layers',
    text: 'Measurements of heat transfer rates in the laminar boundary layer of a flat plate at Mach 3.',
  },
  {
    id: 'bread',
    title: 'Baking bread',
    text: 'Knead the dough for ten minutes and let it rise for an hour.',
  },
  { id: 'untitled', title: '', text: 'Flutter of swept wings at transonic speeds, with a simple model.' },
  { id: 'short', title: 'Shock waves', text: 'Blunt bodies.' },
];

export function rankerContract(
  name: string,
  open: () => Promise<Ranker>,
  options: RankerContractOptions,
): void {
  describe(`Ranker contract: ${name}`, { skip: options.skip }, () => {
    let ranker: Ranker;
    before(async () => {
      ranker = await open();
    });
    after(() => ranker?.release());

    const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) => {
      assert.equal(actual.length, expected.length);
      for (let i = 0; i < actual.length; i++) {
        const gap = Math.abs(actual[i]! - expected[i]!);
        assert.ok(gap <= options.tolerance, `${what}: candidate ${i} is ${gap} apart`);
      }
    };

    it('gives one finite score per candidate', async () => {
      const scores = await ranker.score(QUERY, CANDIDATES);
      assert.ok(scores instanceof Float32Array);
      assert.equal(scores.length, CANDIDATES.length);
      assert.ok(scores.every(Number.isFinite), String(scores));
    });

    it('gives no scores for no candidates', async () => {
      assert.equal((await ranker.score(QUERY, [])).length, 0);
    });

    it('gives the same scores twice', async () => {
      close(await ranker.score(QUERY, CANDIDATES), await ranker.score(QUERY, CANDIDATES), 'repeat');
    });

    it('scores a candidate the same alone as in a batch', async () => {
      const batch = await ranker.score(QUERY, CANDIDATES);
      const alone = new Float32Array(CANDIDATES.length);
      for (const [i, candidate] of CANDIDATES.entries())
        alone[i] = (await ranker.score(QUERY, [candidate]))[0]!;
      close(alone, batch, 'alone vs batch');
    });

    it('returns scores in the candidates’ order, whatever that order is', async () => {
      const forward = await ranker.score(QUERY, CANDIDATES);
      const backward = await ranker.score(QUERY, [...CANDIDATES].reverse());
      close([...backward].reverse(), forward, 'reversed');
    });

    it('truncates a document longer than the model reads instead of failing', async () => {
      const long = {
        id: 'long',
        title: 'A long report',
        text: 'Boundary layer transition on cones. '.repeat(400),
      };
      const scores = await ranker.score(QUERY, [long, CANDIDATES[0]!]);
      assert.equal(scores.length, 2);
      assert.ok(scores.every(Number.isFinite));
    });
  });
}
