// Tests for the decoder runtime on real SmolLM2-135M-Instruct weights: logits match Hugging Face
// transformers, a cached prefix gives the same logits as the full sequence, and packed rows with an
// item-aware mask and restarted positions give the same logits as separate rows.
//
// Reference: test/fixtures/smollm2-reference.json, made once by a script outside the repo that loads the
// same GGUF file with transformers (dequantised by gguf-py) and runs LlamaForCausalLM in float32 with eager
// attention (versions in the fixture's `made_with`; see test/fixtures/README.md). The model comes from
// SIFT_HOME (sift models pull smollm2-135m-instruct-q4); without it these tests skip.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { modelFileSkip } from '../../../test/lib/model-skip.js';
import { siftPaths } from '../../util/index.js';
import { type DecoderModel, loadDecoder } from './decoder-model.js';

interface ReferenceCase {
  text: string;
  input_ids: number[];
  probe_ids: number[];
  logits_probe: number[][];
}

const file = join(siftPaths().models, 'smollm2-135m-instruct-q4', 'SmolLM2-135M-Instruct.Q4_1.gguf');
const skip = modelFileSkip(file, 'smollm2-135m-instruct-q4');
const reference = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/smollm2-reference.json', import.meta.url), 'utf8'),
) as { cases: ReferenceCase[] };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return worst;
}

describe('decoder (SmolLM2-135M-Instruct, GGUF Q4_1)', { skip }, () => {
  let model: DecoderModel;
  before(async () => {
    model = await loadDecoder(file, { id: 'smollm2-135m-instruct-q4' });
  });
  after(() => model?.release());

  it('tokenizes as transformers does, chat markers included', () => {
    for (const c of reference.cases) {
      const ids = model.tokenizer.tokenizer.encodeBatch([c.text], { maxLength: 1_000_000 }).ids[0];
      assert.deepEqual(Array.from(ids ?? []), c.input_ids, JSON.stringify(c.text));
    }
  });

  it('matches transformers logits at several positions (|Δ| < 1e-3 on logits up to ~30)', async () => {
    for (const c of reference.cases) {
      const last = c.input_ids.length - 1;
      const positions = [...new Set([0, Math.floor(last / 2), last])];
      const { logits } = await model.prefill({
        rows: positions.map(() => c.input_ids),
        logitIndex: positions,
        logitIds: c.probe_ids,
      });
      const expected = positions.flatMap((p) => c.logits_probe[p] ?? []);
      const diff = maxAbsDiff(logits, expected);
      assert.ok(diff < 1e-3, `${JSON.stringify(c.text.slice(0, 30))}: max |Δ| ${diff}`);
    }
  });

  it('gives the same logits from a shared cached prefix as from full sequences', async () => {
    const prefix = reference.cases[0]?.input_ids.slice(0, 20) ?? [];
    const items = [
      [504, 3575, 282, 4649, 314],
      [39006, 216, 33, 34],
      [198, 30, 197, 28, 256, 1000, 20000],
    ];
    const labels = [10539, 5230];
    const full = await model.prefill({ rows: items.map((item) => [...prefix, ...item]), logitIds: labels });
    const { cache } = await model.prefill({ rows: [prefix], logitIds: labels, wantCache: true });
    assert.ok(cache);
    assert.equal(cache.length, prefix.length);
    const shared = await model.prefill({ rows: items, past: cache, logitIds: labels });
    assert.ok(
      maxAbsDiff(shared.logits, full.logits) < 1e-4,
      `max |Δ| ${maxAbsDiff(shared.logits, full.logits)}`,
    );

    // Packed: all items in one row after the prefix, each seeing the prefix and itself only, positions restarted.
    const packed: number[] = [];
    const owner: number[] = [];
    const starts: number[] = [];
    items.forEach((item, i) => {
      starts.push(packed.length);
      for (const id of item) {
        packed.push(id);
        owner.push(i);
      }
    });
    const lastOf = items.map((item, i) => (starts[i] ?? 0) + item.length - 1);
    const positionsOf = owner.map((o, t) => prefix.length + t - (starts[o] ?? 0));
    const packedLogits: number[] = [];
    for (const index of lastOf) {
      const { logits } = await model.prefill({
        rows: [packed],
        past: cache,
        visible: (_row, q, k) => owner[q] === owner[k] && k <= q,
        positionIds: [positionsOf],
        logitIndex: [index],
        logitIds: labels,
      });
      packedLogits.push(...logits);
    }
    assert.ok(
      maxAbsDiff(packedLogits, full.logits) < 1e-4,
      `packed max |Δ| ${maxAbsDiff(packedLogits, full.logits)}`,
    );
  });

  it('continues a cache token by token as a full prefill would (greedy generation)', async () => {
    const ids = reference.cases[1]?.input_ids ?? [];
    const vocab = Array.from({ length: model.config.vocabSize }, (_, i) => i);
    const first = await model.prefill({ rows: [ids], logitIds: vocab, wantCache: true });
    const next = argmax(first.logits);
    assert.equal(model.tokenizer.tokenizer.idToToken(next), 'ĠParis');
    const step = await model.prefill({ rows: [[next]], past: first.cache, logitIds: [10539, 5230, 7042] });
    const whole = await model.prefill({ rows: [[...ids, next]], logitIds: [10539, 5230, 7042] });
    assert.ok(maxAbsDiff(step.logits, whole.logits) < 1e-4);
  });
});

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] ?? 0) > (values[best] ?? 0)) best = i;
  return best;
}
