// Builds small graphs with the GraphBuilder and runs them through ONNX Runtime against hand-computed results.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSession, tensor } from '../ort.js';
import { attr, GraphBuilder } from './graph-builder.js';
import { ProtoWriter } from './protobuf.js';

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] ?? Number.NaN;
    const e = expected[i] ?? Number.NaN;
    assert.ok(Math.abs(a - e) <= tolerance, `index ${i}: ${a} vs ${e}`);
  }
}

describe('ProtoWriter', () => {
  it('writes varints, negative int64s, floats and strings in wire format', () => {
    const bytes = new ProtoWriter().int(1, 150).int(2, -1).float(3, 1).string(4, 'hi').toBytes();
    assert.deepEqual(
      [...bytes],
      [
        0x08,
        0x96,
        0x01, // field 1 varint 150
        0x10,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0x01, // field 2 varint -1 (10 bytes)
        0x1d,
        0x00,
        0x00,
        0x80,
        0x3f, // field 3 fixed32 1.0f
        0x22,
        0x02,
        0x68,
        0x69, // field 4 "hi"
      ],
    );
  });

  it('nests messages with their length prefix', () => {
    const inner = new ProtoWriter().int(1, 1);
    const bytes = new ProtoWriter().message(3, inner).toBytes();
    assert.deepEqual([...bytes], [0x1a, 0x02, 0x08, 0x01]);
  });
});

describe('GraphBuilder', () => {
  it('runs Add with a broadcast initializer over a symbolic batch', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['batch', 3]);
    const b = g.initializer('b', Float32Array.from([10, 20, 30]), [3]);
    g.output(g.node('Add', [x, b], ['y']), 'float32', ['batch', 3]);
    const session = await createSession(g.toBytes());
    const out = await session.run({ x: tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]) });
    assertClose(out['y']?.data as Float32Array, [11, 22, 33, 14, 25, 36]);
    await session.release();
  });

  it('runs MatMul, Gather and Softmax with attributes', async () => {
    const g = new GraphBuilder();
    const ids = g.input('ids', 'int64', ['n']);
    const table = g.initializer('table', Float32Array.from([1, 0, 0, 1, 1, 1]), [3, 2]);
    const w = g.initializer('w', Float32Array.from([1, 2, 3, 4]), [2, 2]);
    const rows = g.node('Gather', [table, ids], 1, { axis: attr.int(0) });
    const product = g.node('MatMul', [rows, w]);
    g.output(g.node('Softmax', [product], ['p'], { axis: attr.int(-1) }), 'float32', ['n', 2]);
    g.output(product, 'float32', ['n', 2]);
    const session = await createSession(g.toBytes());
    const out = await session.run({ ids: tensor('int64', BigInt64Array.from([2n, 0n]), [2]) });
    // rows [[1,1],[1,0]] @ [[1,2],[3,4]] = [[4,6],[1,2]]
    assertClose(out[product]?.data as Float32Array, [4, 6, 1, 2]);
    const s = (a: number, b: number) => [
      Math.exp(a) / (Math.exp(a) + Math.exp(b)),
      Math.exp(b) / (Math.exp(a) + Math.exp(b)),
    ];
    assertClose(out['p']?.data as Float32Array, [...s(4, 6), ...s(1, 2)]);
    await session.release();
  });

  it('writes int8, uint8, int64 and float16 initializers and float/ints attributes', async () => {
    const g = new GraphBuilder({ opset: 18 });
    const x = g.input('x', 'float32', [2, 2]);
    const q = g.initializer('q', Int8Array.from([-2, 3]), [2]);
    const u = g.initializer('u', Uint8Array.from([4, 250]), [2]);
    // float16 bit patterns of 0.5 and -2
    const h = g.initializer('h', Uint16Array.from([0x3800, 0xc000]), [2], 'float16');
    const qf = g.node('Cast', [q], 1, { to: attr.int(1) });
    const uf = g.node('Cast', [u], 1, { to: attr.int(1) });
    const hf = g.node('Cast', [h], 1, { to: attr.int(1) });
    const sum = g.node('Add', [g.node('Add', [qf, uf]), hf]);
    const scaled = g.node('LeakyRelu', [g.node('Add', [x, sum])], 1, { alpha: attr.float(0.25) });
    const reshaped = g.node('Reshape', [scaled, g.int64s([4])]);
    const t = g.node('Transpose', [x], 1, { perm: attr.ints([1, 0]) });
    g.output(reshaped, 'float32', [4]);
    g.output(g.node('Identity', [t], ['t']), 'float32', [2, 2]);
    const session = await createSession(g.toBytes());
    const out = await session.run({ x: tensor('float32', Float32Array.from([0, -300, 1, 2]), [2, 2]) });
    // sum = [-2+4+0.5, 3+250-2] = [2.5, 251]
    assertClose(out[reshaped]?.data as Float32Array, [2.5, -49 * 0.25, 3.5, 253]);
    assertClose(out['t']?.data as Float32Array, [0, 1, -300, 2]);
    await session.release();
  });

  it('refuses a node that reads a tensor nothing defined', () => {
    const g = new GraphBuilder();
    assert.throws(() => g.node('Relu', ['nowhere']), /nowhere/);
  });

  it('shares identical small constants', () => {
    const g = new GraphBuilder();
    assert.equal(g.int64s([0, 0, -1]), g.int64s([0, 0, -1]));
    assert.notEqual(g.scalar(1), g.int64s([1], []));
  });
});

describe('external data', () => {
  it('runs a graph whose large initializers live in a data file, and the cache writes both files', async () => {
    const { mkdtemp, readdir, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openCachedGraph } = await import('./graph-cache.js');
    const g = new GraphBuilder({ name: 'external' });
    const weight = Float32Array.from({ length: 600 }, (_, i) => (i % 7) - 3); // 2,400 bytes: external
    const bias = Float32Array.from([0.5, -0.5]); // 8 bytes: stays inline
    const x = g.input('x', 'float32', [1, 300]);
    const w = g.initializer('w', weight, [300, 2]);
    const b = g.initializer('b', bias, [2]);
    g.output(g.node('Add', [g.node('MatMul', [x, w]), b], ['y']), 'float32', [1, 2]);
    const input = Float32Array.from({ length: 300 }, (_, i) => (i % 3) - 1);
    const expected = [0, 1].map(
      (j) => input.reduce((sum, v, i) => sum + v * (weight[i * 2 + j] ?? 0), 0) + (bias[j] ?? 0),
    );
    const dir = await mkdtemp(join(tmpdir(), 'sift-external-'));
    try {
      const { session, path } = await openCachedGraph(
        dir,
        { test: 'external' },
        (dataFile) => g.toBytesWithExternalData(dataFile),
        true,
        {},
      );
      assert.ok(path);
      assert.deepEqual(
        (await readdir(dir)).sort(),
        [path.split('/').pop(), `${path.split('/').pop()}.data`].sort(),
      );
      const out = await session.run({ x: tensor('float32', input, [1, 300]) });
      assertClose(out.y?.data as Float32Array, expected, 1e-4);
      await session.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
