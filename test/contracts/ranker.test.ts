// Runs the Ranker contract against every ranker cheap to build here: the cross-encoder (a tiny BERT pair
// classifier with formula weights, test/lib/tiny-cross-encoder.ts), and the decoder rankers on SmolLM2-135M
// from SIFT_HOME: the yes/no scorer (float32 and int8) and query likelihood.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCrossEncoder, openRanker, type Ranker } from '../../src/rank/index.js';
import { modelSkip } from '../lib/model-skip.js';
import { tinyCrossEncoderSkip, writeTinyCrossEncoder } from '../lib/tiny-cross-encoder.js';
import { rankerContract } from './ranker-contract.js';

async function tinyCrossEncoder(): Promise<Ranker> {
  const dir = await mkdtemp(join(tmpdir(), 'sift-contract-ce-'));
  await writeTinyCrossEncoder(dir);
  const ranker = await loadCrossEncoder(dir, { id: 'tiny-cross-encoder', cacheGraph: false });
  return {
    id: ranker.id,
    score: (query, candidates) => ranker.score(query, candidates),
    release: async () => {
      await ranker.release();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

rankerContract('cross-encoder (tiny, formula weights)', tinyCrossEncoder, {
  skip: tinyCrossEncoderSkip,
  tolerance: 1e-5,
});

const smollm = modelSkip('smollm2-135m-instruct-q4');
for (const id of ['smollm2-135m-yesno', 'smollm2-135m-yesno:int8', 'smollm2-135m-qlik']) {
  rankerContract(id, () => openRanker(id, { quiet: true }), {
    skip: smollm,
    tolerance: 1e-3,
  });
}
