// Parity of sift's decoder runtime with llama.cpp (node-llama-cpp) on Qwen2.5-Coder-0.5B-Instruct (Q4_K_M):
// the GGUF tokenizer gives llama.cpp's ids on a golden table of texts, and on real judge prompts (web-search
// policy as the system turn, dbpedia-entity documents and queries, the grade and yes/no questions) both
// runtimes pick the same grade digit and agree on log p(yes) and log p(no).
//
// Both dequantise the same Q4_K/Q5_0/Q6_K/Q8_0 blocks, but llama.cpp's CPU matrix products first quantise
// each activation row to 8 bits per block of 32 (Q8_0) or 256 (Q8_K) values and sum integer products, while
// sift multiplies in float32. That rounding (≈ 0.4 % of each block's largest value) compounds over 24 layers
// and ~800 tokens of prompt. Measured on these prompts (SIFT_PARITY_VERBOSE=1 prints them): |Δ log p| up
// to ≈ 0.1 on tokens of probability ≥ 1 %; the tolerance, 0.25 nats, is that with a margin, and it is still
// far below the gaps that decide a label (p(yes) 0.02 vs 0.10 is 1.6 nats).
//
// The model must be pulled (sift models pull qwen2.5-coder-0.5b-instruct-q4). Without it the test skips
// loudly, and fails under CI (test/lib/model-skip.ts). SIFT_PARITY_MODEL picks another registry
// qwen2 decoder (the 1.5B judge, by hand: it needs ~10 GB of memory in float32).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { judgedPairs } from '../../../test/lib/judged-pairs.js';
import { modelSkip } from '../../../test/lib/model-skip.js';
import {
  loadPolicy,
  type Policy,
  queryPart,
  questionLead,
  scoringDocumentPart,
  scoringSystemTurn,
} from '../../judge/index.js';
import { LlamaScorer } from '../../runtime/index.js';
import { siftPaths } from '../../util/index.js';
import { modelSpec } from '../registry.js';
import { type DecoderModel, loadDecoder } from './decoder-model.js';

const id = process.env.SIFT_PARITY_MODEL ?? 'qwen2.5-coder-0.5b-instruct-q4';
const spec = modelSpec(id);
const file =
  spec.kind === 'decoder' ? join(siftPaths().models, id, spec.architecture.weights) : `${id} is no decoder`;
const skip = existsSync(file) ? false : modelSkip(id);
const verbose = process.env.SIFT_PARITY_VERBOSE === '1';

/** |Δ log p| allowed on the yes/no tokens (see the header for the measurement behind it). */
const LOGPROB_TOLERANCE = 0.25;

/** Real texts of every kind the judge sees, and the corners of the qwen2 split. */
const GOLDEN_TEXTS = [
  'The quick brown fox jumps over the lazy dog.',
  'Born 12 March 1987, she scored 3,456 points in 2019-2020 (up 12.5%).',
  'Pi is 3.14159265358979; 1234567890 has ten digits.',
  "It's what they'd said: we'll see, you're right, I've LEFT, HE'S gone.",
  'Café, naïve, Zürich, São Paulo, Dvořák, Ångström, crème brûlée, Łódź.',
  'Москва — столица России. 東京は日本の首都です。 북한 ',
  '  leading spaces,\ttabs\t\tand\n\nblank lines\r\n  trailing   ',
  'def score(doc: str) -> float:\n    return sum(w * x for w, x in zip(weights, doc))  # dot\n',
  'const f = (a, b) => a?.b ?? [1, 2, 3].map((x) => x ** 2);\n',
  'Punctuation!!! ... ??? --- "quoted" (parens) [brackets] {braces} <tags> @user #tag $5 & co.',
  'emoji 🙂👍🏽 and symbols ©®™ ±×÷ → ∞',
  '<|im_start|>system\nYou grade documents.<|im_end|>\n<|im_start|>user\nIs it relevant?<|im_end|>\n<|im_start|>assistant\n{"grade": ',
];

function logSoftmaxAt(logits: Float32Array, vocab: number, row: number, ids: readonly number[]): number[] {
  const start = row * vocab;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < vocab; i++) max = Math.max(max, logits[start + i] ?? 0);
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp((logits[start + i] ?? 0) - max);
  const logZ = max + Math.log(sum);
  return ids.map((t) => (logits[start + t] ?? 0) - logZ);
}

function argmaxOf(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] ?? 0) > (values[best] ?? 0)) best = i;
  return best;
}

describe(`qwen2 parity with llama.cpp (${id})`, { skip }, () => {
  let sift: DecoderModel;
  let llama: LlamaScorer;
  let policy: Policy;
  before(async () => {
    policy = await loadPolicy('web-search');
    llama = await LlamaScorer.open(file, { contextSize: 2048, threads: 1 });
    sift = await loadDecoder(file, { id });
  });
  after(async () => {
    await sift?.release();
    await llama?.close();
  });

  it('tokenizes as llama.cpp does (qwen2 split, ChatML markers as special tokens)', () => {
    for (const text of GOLDEN_TEXTS) {
      assert.deepEqual(sift.encode(text), llama.tokenize(text), JSON.stringify(text));
    }
  });

  it(`picks llama.cpp's grade and matches its log p(yes), log p(no) within ${LOGPROB_TOLERANCE}`, async () => {
    const system = llama.tokenize(scoringSystemTurn(policy));
    const digits = Array.from(
      { length: policy.maxGrade + 1 },
      (_, g) => llama.tokenizePlain(String(g))[0] ?? -1,
    );
    const answers = ['yes', 'no', 'Yes', 'No'].map((w) => llama.tokenizePlain(w)[0] ?? -1);
    const vocab = sift.config.vocabSize;
    const everyId = Array.from({ length: vocab }, (_, i) => i);
    const { cache } = await sift.prefill({ rows: [system], logitIds: [0], wantCache: true });
    await llama.append(system);
    let worst = 0;
    for (const pair of judgedPairs(3)) {
      const lead = scoringDocumentPart(pair, { maxDocChars: 600 }) + queryPart(pair.query);
      const rows = (['grade', 'yesno'] as const).map((form) =>
        llama.tokenize(lead + questionLead(form, policy)),
      );
      const ours = await sift.prefill({ rows, past: cache, logitIds: everyId });
      for (const [r, form] of (['grade', 'yesno'] as const).entries()) {
        const tokens = rows[r] ?? [];
        const [theirs] = await llama.appendAndRead(tokens, [tokens.length - 1]);
        await llama.truncate(system.length);
        assert.ok(theirs);
        const ids = form === 'grade' ? digits : answers;
        const mine = logSoftmaxAt(ours.logits, vocab, r, ids);
        const reference = ids.map((t) => Math.log(theirs.get(t) ?? 0));
        if (verbose) {
          console.log(
            pair.query,
            form,
            mine.map((v) => v.toFixed(3)),
            reference.map((v) => v.toFixed(3)),
          );
        }
        if (form === 'grade') {
          assert.equal(argmaxOf(mine), argmaxOf(reference), `grade of "${pair.query}"`);
        } else {
          for (const [k, word] of ['yes', 'no'].entries()) {
            const diff = Math.abs((mine[k] ?? 0) - (reference[k] ?? 0));
            worst = Math.max(worst, diff);
            assert.ok(diff < LOGPROB_TOLERANCE, `"${pair.query}": log p(${word}) differs by ${diff}`);
          }
        }
      }
    }
    console.log(`qwen2 parity (${id}): worst |Δ log p| on yes/no ${worst.toFixed(4)}`);
  });
});
