// Gradient parity with PyTorch for the decoder family: RMSNorm, rotary, causal grouped-query attention,
// SwiGLU, and the whole yes/no decoder (Llama with tied embeddings; Qwen2 with q/k/v biases and an untied
// head) against autograd on test/fixtures/train/decoder-parity.safetensors (float32, random weights; made
// by test/fixtures/train/make-decoder-parity-fixtures.py, which says how). Tolerance as the BERT family's:
// max |a − b| / max |b| ≤ 1e-4 per tensor.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixtureDecoder, fixtureFloats, fixtureInts } from '../../test/lib/decoder-fixture.js';
import { RelativeErrorCheck } from '../../test/lib/relative-error.js';
import { SwiGlu } from './activations.js';
import { CausalSelfAttention } from './causal-attention.js';
import { RmsNorm } from './rms-norm.js';
import { Rotary } from './rotary.js';

const t = fixtureFloats;
const ints = fixtureInts;
/** max |a − b| / max |b| ≤ 1e-4 per tensor; the largest relative error seen is printed at the end. */
const check = new RelativeErrorCheck(1e-4, 'PyTorch (decoder)');
const assertClose = check.assertClose.bind(check);

describe('decoder layer gradients equal PyTorch autograd', () => {
  it('RMSNorm', () => {
    const norm = RmsNorm.create('n', t('rms_norm.p0'), 1e-5);
    assertClose(norm.forward(t('rms_norm.in0'), 5), t('rms_norm.out'), 'y');
    assertClose(norm.backward(t('rms_norm.upstream')), t('rms_norm.in0.grad'), 'dx');
    assertClose(norm.weight.grad, t('rms_norm.p0.grad'), 'dw');
  });

  it('rotary position embedding (rotate-half layout)', () => {
    const rotary = new Rotary(8, 10000);
    assertClose(rotary.forward(t('rotary.in0'), 5, 2), t('rotary.out'), 'y');
    assertClose(rotary.backward(t('rotary.upstream'), 5, 2), t('rotary.in0.grad'), 'dx');
  });

  it('causal attention over grouped key/value heads, with right padding', () => {
    const attention = new CausalSelfAttention();
    const shape = {
      batch: 2,
      seq: 5,
      heads: 4,
      kvHeads: 2,
      headDim: 4,
      lengths: ints('causal_attention.lengths'),
    };
    const y = attention.forward(
      t('causal_attention.in0'),
      t('causal_attention.in1'),
      t('causal_attention.in2'),
      shape,
    );
    assertClose(y, t('causal_attention.out'), 'ctx');
    const [dq, dk, dv] = attention.backward(t('causal_attention.upstream'));
    assertClose(dq, t('causal_attention.in0.grad'), 'dq');
    assertClose(dk, t('causal_attention.in1.grad'), 'dk');
    assertClose(dv, t('causal_attention.in2.grad'), 'dv');
  });

  it('SwiGLU gate', () => {
    const swiglu = new SwiGlu();
    assertClose(swiglu.forward(t('swiglu.in0'), t('swiglu.in1')), t('swiglu.out'), 'y');
    const [dGate, dUp] = swiglu.backward(t('swiglu.upstream'));
    assertClose(dGate, t('swiglu.in0.grad'), 'dgate');
    assertClose(dUp, t('swiglu.in1.grad'), 'dup');
  });

  for (const [name, architecture, tied] of [
    ['llama_tied', 'llama', true],
    ['qwen2_untied', 'qwen2', false],
  ] as const) {
    it(`the whole yes/no decoder: ${architecture}, ${tied ? 'tied' : 'untied'} output head`, () => {
      const { model, names } = fixtureDecoder(name, architecture, tied);
      const ids = ints(`${name}.ids`);
      const lengths = ints(`${name}.lengths`);
      const scores = model.forward({ batch: 2, seq: ids.length / 2, ids, lengths });
      assertClose(scores, t(`${name}.scores`), 'scores');
      model.backward(t(`${name}.upstream`));
      const params = model.parameters();
      assert.deepEqual(
        params.map((p) => p.name).sort(),
        [...names].sort(),
        "the model has exactly the checkpoint's tensors, under their Hugging Face names",
      );
      for (const p of params) assertClose(p.grad, t(`${name}.g.${p.name}`), `d ${p.name}`);
    });
  }
});
