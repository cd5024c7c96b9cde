// Gradient parity with PyTorch: every layer type and every loss of the training engine against autograd on
// the fixture test/fixtures/train/parity.safetensors (float32, random weights; made by
// test/fixtures/train/make-parity-fixtures.py, which says how). Tolerance: max |a − b| / max |b| ≤ 1e-4
// per tensor.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { RelativeErrorCheck } from '../../test/lib/relative-error.js';
import { bertWeights, parseBertConfig, parseSafetensors, type WeightSource } from '../models/index.js';
import { Mulberry32 } from '../util/index.js';
import { Gelu, Tanh } from './activations.js';
import { AdamW } from './adamw.js';
import { SelfAttention } from './attention.js';
import { CrossEncoderModel } from './bert-model.js';
import { clipGradNorm } from './clip.js';
import { MeanPooling, SimilarityHead } from './heads.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';
import {
  bceWithLogits,
  klDivergence,
  listwiseSoftmaxCe,
  marginMse,
  multipleNegativesRanking,
  multiTeacherKl,
} from './losses.js';
import { Parameter } from './parameter.js';

const fixture = parseSafetensors(
  readFileSync(new URL('../../../test/fixtures/train/parity.safetensors', import.meta.url)),
  'parity.safetensors',
);
const t = (name: string): Float32Array => fixture.float32(name).data.slice();
const ints = (name: string): Int32Array => Int32Array.from(t(name));
/** max |a − b| / max |b| ≤ 1e-4 per tensor; the largest relative error seen is printed at the end. */
const check = new RelativeErrorCheck(1e-4, 'PyTorch');
const assertClose = check.assertClose.bind(check);

describe('layer gradients equal PyTorch autograd', () => {
  it('Linear', () => {
    const layer = Linear.create('l', t('linear.p0'), t('linear.p1'), 6);
    assertClose(layer.forward(t('linear.in0'), 5), t('linear.out'), 'y');
    assertClose(layer.backward(t('linear.upstream')), t('linear.in0.grad'), 'dx');
    assertClose(layer.weight.grad, t('linear.p0.grad'), 'dW');
    assertClose(layer.bias!.grad, t('linear.p1.grad'), 'db');
  });

  it('LayerNorm', () => {
    const layer = LayerNorm.create('n', t('layer_norm.p0'), t('layer_norm.p1'), 1e-12);
    assertClose(layer.forward(t('layer_norm.in0'), 5), t('layer_norm.out'), 'y');
    assertClose(layer.backward(t('layer_norm.upstream')), t('layer_norm.in0.grad'), 'dx');
    assertClose(layer.gamma.grad, t('layer_norm.p0.grad'), 'dγ');
    assertClose(layer.beta.grad, t('layer_norm.p1.grad'), 'dβ');
  });

  it('GELU and tanh', () => {
    const gelu = new Gelu();
    assertClose(gelu.forward(t('gelu.in0')), t('gelu.out'), 'gelu y');
    assertClose(gelu.backward(t('gelu.upstream')), t('gelu.in0.grad'), 'gelu dx');
    const tanh = new Tanh();
    assertClose(tanh.forward(t('tanh.in0')), t('tanh.out'), 'tanh y');
    assertClose(tanh.backward(t('tanh.upstream')), t('tanh.in0.grad'), 'tanh dx');
  });

  it('self-attention with a padding mask', () => {
    const attention = new SelfAttention();
    const shape = { batch: 2, seq: 5, heads: 2, headDim: 4, lengths: ints('attention.lengths') };
    const ctx = attention.forward(t('attention.in0'), t('attention.in1'), t('attention.in2'), shape);
    assertClose(ctx, t('attention.out'), 'ctx');
    const [dq, dk, dv] = attention.backward(t('attention.upstream'));
    assertClose(dq, t('attention.in0.grad'), 'dq');
    assertClose(dk, t('attention.in1.grad'), 'dk');
    assertClose(dv, t('attention.in2.grad'), 'dv');
  });

  it('masked mean pooling', () => {
    const pooling = new MeanPooling();
    assertClose(
      pooling.forward(t('mean_pooling.in0'), 5, 8, ints('mean_pooling.lengths')),
      t('mean_pooling.out'),
      'y',
    );
    assertClose(pooling.backward(t('mean_pooling.upstream')), t('mean_pooling.in0.grad'), 'dx');
  });

  it("sift's similarity head (scaled cosine of the two segments' mean states)", () => {
    const head = SimilarityHead.create(t('similarity.p0')[0]!, t('similarity.p1')[0]!);
    const [batch, seq] = [2, 6];
    const types = ints('similarity.types');
    const tokens = {
      batch,
      seq,
      ids: new Int32Array(batch * seq),
      typeIds: types,
      lengths: ints('similarity.lengths'),
    };
    assertClose(head.forward(t('similarity.in0'), tokens), t('similarity.out'), 'logits');
    assertClose(head.backward(t('similarity.upstream')), t('similarity.in0.grad'), 'dhidden');
    assertClose(head.scale.grad, t('similarity.p0.grad'), 'dscale');
    assertClose(head.bias.grad, t('similarity.p1.grad'), 'dbias');
  });

  it('the whole cross-encoder (embeddings, every layer, pooler, classifier) under BCE', () => {
    const prefix = 'model.param.';
    const names = fixture.names.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
    const source: WeightSource = {
      file: 'parity.safetensors',
      names,
      has: (name) => names.includes(name),
      float32: (name) => ({ name, shape: fixture.float32(prefix + name).shape, data: t(prefix + name) }),
    };
    const config = parseBertConfig(
      {
        model_type: 'bert',
        hidden_size: 16,
        num_attention_heads: 2,
        num_hidden_layers: 2,
        intermediate_size: 32,
        vocab_size: 40,
        max_position_embeddings: 16,
        layer_norm_eps: 1e-12,
      },
      'config.json',
    );
    const model = CrossEncoderModel.fromWeights(bertWeights(source, config), config, {
      rng: new Mulberry32(1),
    });
    const lengths = ints('model.lengths');
    const logits = model.forward({
      batch: 3,
      seq: 7,
      ids: ints('model.ids'),
      typeIds: ints('model.types'),
      lengths,
    });
    assertClose(logits, t('model.logits'), 'logits');
    const { loss, grad } = bceWithLogits(logits, t('model.targets'));
    assertClose([loss], t('model.loss'), 'loss');
    model.backward(grad);
    const params = model.parameters();
    assert.equal(params.length, names.length, 'every parameter is trained');
    for (const p of params) {
      const expected = t(`model.grad.${p.name}`);
      // The key bias adds the same amount to every score of a query row, which softmax cancels: its exact
      // gradient is 0 and both sides hold only float32 rounding noise, so it is checked for being ~0.
      if (p.name.endsWith('attention.self.key.bias')) {
        for (const g of [...p.grad, ...expected]) assert.ok(Math.abs(g) < 1e-6, `${p.name}: ${g} is not ~0`);
      } else assertClose(p.grad, expected, p.name);
    }
  });
});

describe('loss gradients equal PyTorch autograd', () => {
  const check = (name: string, result: { loss: number; grad: Float32Array }) => {
    assertClose([result.loss], t(`${name}.loss`), `${name} loss`);
    assertClose(result.grad, t(`${name}.in0.grad`), `${name} grad`);
  };
  const alpha = t('alpha')[0]!;

  it('pointwise BCE on soft targets', () => check('bce', bceWithLogits(t('bce.in0'), t('bce.c0'))));
  it('KL on a binary soft label', () =>
    check('kl_binary', klDivergence(t('kl_binary.in0'), t('kl_binary.c0'), 1)));
  it('KL on a grade distribution', () =>
    check('kl_grades', klDivergence(t('kl_grades.in0'), t('kl_grades.c0'), 5)));
  it('multi-teacher α·KL(p_a‖q) + (1−α)·KL(p_b‖q)', () => {
    check(
      'multi_teacher',
      multiTeacherKl(t('multi_teacher.in0'), t('multi_teacher.c0'), t('multi_teacher.c1'), alpha, 5),
    );
    const b = 'multi_teacher_binary';
    check(b, multiTeacherKl(t(`${b}.in0`), t(`${b}.c0`), t(`${b}.c1`), alpha, 1));
  });
  it('listwise softmax cross-entropy (a query with no positive is skipped)', () => {
    const g = t('listwise.groups');
    const groups = [0, 1, 2].map((i) => ({ start: g[2 * i]!, count: g[2 * i + 1]! }));
    check('listwise', listwiseSoftmaxCe(t('listwise.in0'), t('listwise.c0'), groups));
  });
  it('MarginMSE', () => {
    const r = marginMse(t('margin_mse.in0'), t('margin_mse.in1'), t('margin_mse.in2'), t('margin_mse.c0'), 8);
    assertClose([r.loss], t('margin_mse.loss'), 'loss');
    assertClose(r.query, t('margin_mse.in0.grad'), 'dq');
    assertClose(r.positive, t('margin_mse.in1.grad'), 'd+');
    assertClose(r.negative, t('margin_mse.in2.grad'), 'd−');
  });
  it('multiple-negatives ranking with hard negatives (bi-encoders), through the normalisation', () => {
    const r = multipleNegativesRanking(
      t('mnrl.in0'),
      t('mnrl.in1'),
      8,
      t('mnrl.query_of'),
      t('mnrl.positive'),
      t('mnrl.scale')[0]!,
    );
    assert.equal(r.pairs, 3);
    assertClose([r.loss], t('mnrl.loss'), 'loss');
    assertClose(r.queries, t('mnrl.in0.grad'), 'dq');
    assertClose(r.documents, t('mnrl.in1.grad'), 'dd');
  });
});

describe('optimizer steps equal PyTorch', () => {
  it('AdamW with decoupled weight decay (torch.optim.AdamW), three steps', () => {
    const w = new Parameter('w', [10], t('adamw.w0'), true);
    const adam = new AdamW([w], { weightDecay: 0.1 });
    for (let step = 0; step < 3; step++) {
      w.grad.set(t(`adamw.g${step}`));
      adam.update(1e-2);
    }
    assertClose(w.data, t('adamw.w3'), 'w after 3 steps');
  });

  it('global-norm clipping (clip_grad_norm_)', () => {
    const a = new Parameter('a', [6], new Float32Array(6), true);
    const b = new Parameter('b', [4], new Float32Array(4), true);
    a.grad.set(t('clip.a'));
    b.grad.set(t('clip.b'));
    assertClose([clipGradNorm([a, b], 1)], t('clip.norm'), 'norm');
    assertClose(a.grad, t('clip.a_clipped'), 'a');
    assertClose(b.grad, t('clip.b_clipped'), 'b');
  });
});
