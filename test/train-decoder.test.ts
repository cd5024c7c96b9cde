// The decoder family end to end on the real SmolLM2-135M-Instruct: the training engine's forward pass over
// the dequantised GGUF scores prompts as sift's decoder runtime does; a short run writes a Hugging Face
// checkpoint that the runtime loads and scores as the engine does; training moves the scores the way the
// targets ask; and a killed run's checkpoint resumes.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadDecoderFolder, readDecoderSource } from '../src/models/index.js';
import {
  DecoderRanker,
  openRanker,
  promptTemplatePath,
  type RankCandidate,
  readPromptTemplate,
} from '../src/rank/index.js';
import { type TrainingExample, tokenBatch, trainDecoderRanker, YesNoDecoder } from '../src/train/index.js';
import { siftPaths } from '../src/util/index.js';
import { modelSkip } from './lib/model-skip.js';

const MODEL = 'smollm2-135m-instruct-q4';
const skip = modelSkip(MODEL);

const PAIRS: { query: string; candidate: RankCandidate; relevant: boolean }[] = [
  {
    query: 'remote rust backend engineer',
    candidate: {
      id: 'a',
      title: 'Backend Engineer (Rust)',
      text: 'Build our Rust services. Fully remote in Europe.',
    },
    relevant: true,
  },
  {
    query: 'remote rust backend engineer',
    candidate: {
      id: 'b',
      title: 'Pastry Chef',
      text: 'Bake bread and pastries in our Lyon bakery, early shifts.',
    },
    relevant: false,
  },
  {
    query: 'remote rust backend engineer',
    candidate: {
      id: 'c',
      title: 'Night Nurse',
      text: 'Care for patients on the night ward of a city hospital.',
    },
    relevant: false,
  },
  {
    query: 'pediatric nurse night shifts',
    candidate: {
      id: 'c',
      title: 'Night Nurse',
      text: 'Care for patients on the night ward of a city hospital.',
    },
    relevant: true,
  },
  {
    query: 'pediatric nurse night shifts',
    candidate: {
      id: 'a',
      title: 'Backend Engineer (Rust)',
      text: 'Build our Rust services. Fully remote in Europe.',
    },
    relevant: false,
  },
  {
    query: 'pediatric nurse night shifts',
    candidate: {
      id: 'b',
      title: 'Pastry Chef',
      text: 'Bake bread and pastries in our Lyon bakery, early shifts.',
    },
    relevant: false,
  },
];

const examples: TrainingExample[] = PAIRS.map((p) => ({
  queryId: p.query,
  docId: p.candidate.id,
  query: p.query,
  title: p.candidate.title,
  text: p.candidate.text,
  grade: p.relevant ? 3 : 0,
  gradeNormalized: p.relevant ? 1 : 0,
  softLabel: null,
  pYes: null,
}));

const logit = (p: number) => Math.log(p / (1 - p));

describe('the yes/no decoder on SmolLM2-135M', { skip }, () => {
  let ranker: DecoderRanker;
  let gguf: string;
  let work: string;
  const promptTokens = (e: TrainingExample) => {
    const pair = PAIRS.find((p) => p.query === e.query && p.candidate.id === e.docId)!;
    return [...ranker.prefixTokens(pair.query), ...ranker.itemTokens(pair.candidate)];
  };
  /** The training engine's scores of the six pairs, from a GGUF file or a checkpoint folder. */
  const engineScores = async (weights: string) => {
    const source = await readDecoderSource(weights);
    return YesNoDecoder.fromWeights(source.weights, source.config, labelTokens()).forward(
      tokenBatch(
        examples.map((e) => {
          const ids = Int32Array.from(promptTokens(e));
          return { ids, typeIds: new Int32Array(ids.length) };
        }),
        examples.map((_, i) => i),
      ),
    );
  };
  const labelTokens = () => ({ yes: ranker.model.encode('Yes')[0]!, no: ranker.model.encode('No')[0]! });

  before(async () => {
    ranker = (await openRanker('smollm2-135m-yesno', {
      quiet: true,
      tuning: { prefix: 'naive' },
    })) as DecoderRanker;
    gguf = join(siftPaths().models, MODEL, 'SmolLM2-135M-Instruct.Q4_1.gguf');
    work = await mkdtemp(join(tmpdir(), 'sift-train-decoder-'));
  });
  after(async () => {
    await ranker?.release();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('the engine scores the base model as the decoder runtime does', async () => {
    const engine = await engineScores(gguf);
    let worst = 0;
    for (const [i, pair] of PAIRS.entries()) {
      const [p] = await ranker.score(pair.query, [pair.candidate]);
      worst = Math.max(worst, Math.abs(engine[i]! - logit(p!)));
      assert.ok(
        Math.abs(engine[i]! - logit(p!)) < 2e-3,
        `pair ${i}: engine ${engine[i]} against runtime ${logit(p!)}`,
      );
    }
    console.log(`base model: worst |engine − runtime| logit ${worst.toExponential(2)}`);
  });

  it('a short run moves scores toward the targets and writes a checkpoint the runtime scores as the engine does', async () => {
    const outDir = join(work, 'run');
    const options = {
      base: gguf,
      outDir,
      train: examples,
      loss: 'bce' as const,
      batchSize: 6,
      epochs: 10,
      learningRate: 1e-5,
      warmupRatio: 0,
      checkpointEvery: 1,
      promptTokens,
      labelTokens: labelTokens(),
      quiet: true,
    };
    // Killed after step 1 (as a kill -9 leaves it: the step-1 checkpoint and nothing after), then resumed.
    const first = await trainDecoderRanker({ ...options, maxSteps: 1 });
    assert.equal(first.steps, 1);
    const result = await trainDecoderRanker({ ...options, maxSteps: 3 });
    assert.ok(result.resumed, "the second run continues from the first one's checkpoint");
    assert.equal(result.steps, 3);
    assert.ok(
      result.losses[2]! < result.losses[0]!,
      `BCE falls over the steps: ${result.losses.map((l) => l.toFixed(4)).join(' → ')}`,
    );
    const folder = result.lastCheckpoint;
    const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual([config['model_type'], config['architectures']], ['llama', ['LlamaForCausalLM']]);
    assert.equal(config['tie_word_embeddings'], true);

    const engine = await engineScores(folder);
    const template = await readPromptTemplate(promptTemplatePath('relevance-chatml.txt'));
    const trained = new DecoderRanker(await loadDecoderFolder(folder, { id: 'trained', cacheGraph: false }), {
      id: 'trained',
      template,
      labels: { yes: 'Yes', no: 'No' },
      prefix: 'naive',
    });
    try {
      let worst = 0;
      for (const [i, pair] of PAIRS.entries()) {
        const [p] = await trained.score(pair.query, [pair.candidate]);
        worst = Math.max(worst, Math.abs(engine[i]! - logit(p!)));
      }
      console.log(
        `trained checkpoint: worst |engine − runtime| logit ${worst.toExponential(2)}; BCE ${result.losses.map((l) => l.toFixed(4)).join(' → ')}`,
      );
      assert.ok(
        worst < 2e-3,
        `the runtime scores the checkpoint as the engine does (worst |Δ logit| ${worst})`,
      );
      // Relevant pairs gained on irrelevant ones (mean margin of relevant − irrelevant grew).
      const gap = (s: ArrayLike<number>) =>
        PAIRS.reduce((sum, p, i) => sum + (p.relevant ? s[i]! / 2 : -s[i]! / 4), 0);
      const before = await engineScores(gguf);
      assert.ok(gap(engine) > gap(before), `the relevant pairs' lead grew: ${gap(before)} → ${gap(engine)}`);
    } finally {
      await trained.release();
    }
  });
});
