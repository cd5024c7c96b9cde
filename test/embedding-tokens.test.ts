// Embedding tokens (MixLM) on the real SmolLM2-135M-Instruct: the decoder runtime's vector inputs read a
// vector as the training engine does; the embedding-token ranker scores as the engine does through the
// item adapter; and `trainEmbeddingTokens` makes an installed ranker from a trained decoder that
// `sift eval --rerank` runs on an index's stored vectors (and refuses an index without them).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { trainEmbeddingTokens } from '../src/compress/index.js';
import { ensureDemoCollection } from '../src/demo/index.js';
import { installTrainedModel, loadDecoder, readDecoderSource } from '../src/models/index.js';
import {
  adaptItemVector,
  DecoderRanker,
  EmbeddingTokenRanker,
  promptTemplatePath,
  type RankCandidate,
  readPromptTemplate,
} from '../src/rank/index.js';
import { evaluateCollection } from '../src/search/index.js';
import { ItemAdapter, type TrainingExample, trainDecoderRanker, YesNoDecoder } from '../src/train/index.js';
import { Mulberry32, siftPaths } from '../src/util/index.js';
import { homeBorrowing } from './lib/borrowed-home.js';
import { modelSkip } from './lib/model-skip.js';

const MODEL = 'smollm2-135m-instruct-q4';
const EMBEDDER = 'all-minilm-l6-v2';
const skip = modelSkip(MODEL) || modelSkip(EMBEDDER);
const logit = (p: number) => Math.log(p / (1 - p));

const CANDIDATES: RankCandidate[] = [
  { id: 'a', title: 'Backend Engineer (Rust)', text: 'Build our Rust services. Fully remote in Europe.' },
  { id: 'b', title: 'Pastry Chef', text: 'Bake bread and pastries in our Lyon bakery, early shifts.' },
  { id: 'c', title: 'Night Nurse', text: 'Care for patients on the night ward of a city hospital.' },
];
const QUERY = 'remote rust backend engineer';

describe('embedding tokens on SmolLM2-135M', { skip }, () => {
  let gguf: string;
  let text: DecoderRanker;
  let engine: YesNoDecoder;

  before(async () => {
    gguf = join(siftPaths().models, MODEL, 'SmolLM2-135M-Instruct.Q4_1.gguf');
    const model = await loadDecoder(gguf, { id: 'vectors', vectorInputs: true, cacheGraph: false });
    text = new DecoderRanker(model, {
      id: 'vectors',
      template: await readPromptTemplate(promptTemplatePath('relevance-chatml.txt')),
      labels: { yes: 'Yes', no: 'No' },
    });
    const source = await readDecoderSource(gguf);
    engine = YesNoDecoder.fromWeights(source.weights, source.config, text.labelTokenIds);
  });
  after(async () => {
    await text?.release();
  });

  it("the runtime reads a token's embedding given as a vector as it reads the token", async () => {
    const row = [...text.prefixTokens(QUERY), ...text.itemTokens(CANDIDATES[0]!)];
    const at = text.prefixTokens(QUERY).length + 1;
    const h = engine.shape.hidden;
    const own = engine.embedding.data.slice(row[at]! * h, row[at]! * h + h);
    const { yes, no } = text.labelTokenIds;
    const plain = await text.model.prefill({ rows: [row], logitIds: [yes, no] });
    const replaced = await text.model.prefill({
      rows: [row.map((id, i) => (i === at ? 0 : id))],
      logitIds: [yes, no],
      vectors: [{ row: 0, at, vector: own }],
    });
    for (const i of [0, 1]) assert.ok(Math.abs(plain.logits[i]! - replaced.logits[i]!) < 1e-4);
  });

  it('the embedding-token ranker scores as the training engine does, through the item adapter', async () => {
    const adapter = ItemAdapter.create(384, 64, engine.shape.hidden, 5).weights();
    const ranker = new EmbeddingTokenRanker(text, adapter, EMBEDDER);
    const random = new Mulberry32(9);
    const candidates = CANDIDATES.map((c) => ({
      ...c,
      vector: Float32Array.from({ length: 384 }, () => random.normal() / Math.sqrt(384)),
    }));
    const served = await ranker.score(QUERY, candidates);
    const prefix = text.prefixTokens(QUERY);
    const row = [...prefix, ...ranker.itemTokens()];
    const vectors = new Float32Array(candidates.length * engine.shape.hidden);
    candidates.forEach((c, i) => {
      vectors.set(adaptItemVector(adapter, c.vector), i * engine.shape.hidden);
    });
    const seq = row.length;
    const ids = new Int32Array(candidates.length * seq);
    for (let b = 0; b < candidates.length; b++) ids.set(row, b * seq);
    const expected = engine.forward({
      batch: candidates.length,
      seq,
      ids,
      lengths: Int32Array.from(candidates, () => seq),
      vectors: { at: Int32Array.from(candidates, (_, b) => b * seq + prefix.length), values: vectors },
    });
    let worst = 0;
    for (let i = 0; i < candidates.length; i++)
      worst = Math.max(worst, Math.abs(logit(served[i]!) - expected[i]!));
    console.log(`embedding-token ranker against the engine: worst |Δ logit| ${worst.toExponential(2)}`);
    assert.ok(worst < 2e-3, `worst |Δ logit| ${worst}`);
    assert.deepEqual(ranker.tokensFor(QUERY, candidates), [
      seq - prefix.length,
      seq - prefix.length,
      seq - prefix.length,
    ]);
    await assert.rejects(ranker.score(QUERY, CANDIDATES), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'E_RANKER_VECTORS');
      assert.match(error.message, /document "a" came without one/);
      return true;
    });
  });

  describe('made from a trained decoder and used by sift eval', () => {
    let home = '';
    const previousHome = process.env.SIFT_HOME;
    before(async () => {
      home = await homeBorrowing([MODEL, EMBEDDER], 'sift-embtok-');
      process.env.SIFT_HOME = home;
    });
    after(async () => {
      if (previousHome === undefined) delete process.env.SIFT_HOME;
      else process.env.SIFT_HOME = previousHome;
      if (home) await rm(home, { recursive: true, force: true });
    });

    it('installs a ranker whose card says what it learned from, and reranks on stored vectors', async () => {
      // A decoder ranker as `sift train --preset decoder` installs one (one step: only its form matters here).
      const examples: TrainingExample[] = CANDIDATES.map((c, i) => ({
        queryId: 'q',
        docId: c.id,
        query: QUERY,
        title: c.title,
        text: c.text,
        grade: i === 0 ? 3 : 0,
        gradeNormalized: i === 0 ? 1 : 0,
        softLabel: null,
        pYes: null,
      }));
      const trained = await trainDecoderRanker({
        base: gguf,
        outDir: join(home, 'train-run'),
        train: examples,
        loss: 'bce',
        batchSize: 3,
        epochs: 1,
        learningRate: 1e-6,
        warmupRatio: 0,
        maxSteps: 1,
        promptTokens: (e) => [
          ...text.prefixTokens(e.query),
          ...text.itemTokens(CANDIDATES.find((c) => c.id === e.docId)!),
        ],
        labelTokens: text.labelTokenIds,
        quiet: true,
      });
      await installTrainedModel(
        trained.lastCheckpoint,
        {
          version: 1,
          id: 'tiny-yesno',
          kind: 'decoder-ranker',
          preset: 'custom',
          base: MODEL,
          createdAt: new Date().toISOString(),
          ranker: {
            template: 'relevance-chatml.txt',
            labels: { yes: 'Yes', no: 'No' },
            maxDocumentTokens: 64,
          },
        },
        home,
      );
      const demo = await ensureDemoCollection({ root: join(home, 'collections'), docs: 60, queries: 12 });
      const made = await trainEmbeddingTokens({
        model: 'tiny-yesno',
        out: 'tiny-embtok',
        collections: [demo.folder],
        candidates: 4,
        maxQueries: 3,
        epochs: 1,
        home,
        quiet: true,
      });
      const detail = made.card['embeddingTokens'] as {
        embedder: string;
        queries: number;
        pairs: number;
        steps: number;
        epochs: number;
        targets: string;
        adapter: { in: number; out: number };
      };
      assert.equal(detail.embedder, EMBEDDER);
      assert.deepEqual(
        [detail.epochs, detail.targets],
        [1, 'standardised'],
        'the card gives the run its settings',
      );
      assert.ok(detail.queries >= 2 && detail.queries <= 3, `${detail.queries} training queries`);
      assert.equal(detail.pairs, detail.queries * 4);
      assert.deepEqual([detail.adapter.in, detail.adapter.out], [384, engine.shape.hidden]);
      assert.ok(existsSync(join(made.folder, 'item-adapter.safetensors')));

      const outcome = await evaluateCollection(demo.folder, {
        mode: 'hybrid',
        indexesRoot: join(home, 'indexes'),
        split: 'test',
        maxQueries: 2,
        quiet: true,
        rerank: 'tiny-embtok',
        rerankDepth: 5,
      });
      assert.equal(outcome.timings.rankedItems, outcome.result.queries * 5);

      // An index that was never embedded has no vectors to read: a clear error, not text.
      await assert.rejects(
        evaluateCollection(demo.folder, {
          mode: 'bm25',
          indexesRoot: join(home, 'indexes-lexical'),
          split: 'test',
          maxQueries: 1,
          quiet: true,
          rerank: 'tiny-embtok',
        }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'E_RANKER_VECTORS');
          assert.match(error.message, /dense or hybrid mode with --embedder all-minilm-l6-v2/);
          return true;
        },
      );
    });
  });
});
