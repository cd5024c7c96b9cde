import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { randomUnitVectors } from '../../test/lib/random-vectors.js';
import { isSiftError } from '../errors.js';
import { readContainer, writeContainer } from './container.js';
import { codeIndex } from './int8-codes.js';
import type { VectorDtype } from './vector-block.js';
import { VECTOR_FORMAT, VECTOR_FORMAT_VERSION } from './vector-file-format.js';
import { VectorStore } from './vector-store.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sift-vectors-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function filled(
  d: number,
  n: number,
  seed: number,
  options: Partial<Parameters<typeof VectorStore.create>[1]> = {},
) {
  const rows = randomUnitVectors(n, d, seed);
  const store = VectorStore.create(d, { modelId: 'test-model', blockRows: 64, tileRows: 16, ...options });
  store.addBatch(rows, n);
  return { store, rows };
}

test('add and addBatch hand out ordinals in order; rows read back', () => {
  const store = VectorStore.create(3, { modelId: 'm' });
  assert.equal(store.add(Float32Array.of(1, 2, 3)), 0);
  assert.equal(store.addBatch(Float32Array.of(4, 5, 6, 7, 8, 9), 2), 1);
  assert.equal(store.size, 3);
  assert.deepEqual([...store.vector(2)], [7, 8, 9]);
  assert.equal(store.dot(1, Float32Array.of(1, 0, 1)), 10);
});

test('a vector of the wrong dimension is refused, naming expected and actual', () => {
  const store = VectorStore.create(4, { modelId: 'm' });
  assert.throws(
    () => store.add(new Float32Array(3)),
    (error: unknown) =>
      isSiftError(error, 'E_VECTOR_DIMENSION') && /dimension 3, expected 4/.test((error as Error).message),
  );
  assert.throws(
    () => store.addBatch(new Float32Array(7), 2),
    (error: unknown) => isSiftError(error, 'E_VECTOR_DIMENSION'),
  );
  assert.equal(store.size, 0);
});

test('rows span several blocks and grow across block boundaries', () => {
  const { store, rows } = filled(8, 200, 1);
  assert.equal(store.blocks().length, 4);
  for (const ord of [0, 63, 64, 127, 199])
    assert.deepEqual([...store.vector(ord)], [...rows.subarray(ord * 8, ord * 8 + 8)]);
});

test('delete tombstones a row once; isLive follows', () => {
  const { store } = filled(4, 10, 2);
  assert.equal(store.delete(3), true);
  assert.equal(store.delete(3), false);
  assert.equal(store.delete(99), false);
  assert.equal(store.isLive(3), false);
  assert.equal(store.isLive(4), true);
  assert.equal(store.isLive(10), false);
  assert.equal(store.liveCount, 9);
});

test('normalize makes every row unit length', () => {
  const store = VectorStore.create(2, { modelId: 'm', normalize: true });
  store.add(Float32Array.of(3, 4));
  assert.deepEqual(
    [...store.vector(0)].map((v) => Math.round(v * 1e6) / 1e6),
    [0.6, 0.8],
  );
  assert.equal(store.meta().normalized, true);
});

test('int8 codes approximate the rows (per-vector and per-dimension scales)', () => {
  for (const scales of ['vector', 'dimension'] as const) {
    const { store, rows } = filled(32, 100, 4, { dtype: 'int8', scales });
    store.ensureQuantized();
    const block = store.blocks()[1]!;
    const row = 5; // ordinal 69, tile 0, row 5 of the tile
    const dimScales = store.dimensionScales();
    for (let j = 0; j < 32; j++) {
      const code = block.codes![codeIndex(store.codeWidth, store.tileRows, row, j)]!;
      const scale = scales === 'vector' ? block.rowScales![row]! : dimScales![j]!;
      assert.ok(Math.abs(code * scale - rows[69 * 32 + j]!) <= scale / 2 + 1e-7);
    }
  }
});

test("codeIndex: tiles of 4-dimension groups, every row's four codes side by side, padding to 4", () => {
  // d = 6 → code width 8; tiles of 4 rows.
  assert.equal(codeIndex(8, 4, 0, 0), 0);
  assert.equal(codeIndex(8, 4, 0, 3), 3);
  assert.equal(codeIndex(8, 4, 1, 0), 4);
  assert.equal(codeIndex(8, 4, 0, 4), 16);
  assert.equal(codeIndex(8, 4, 3, 5), 16 + 12 + 1);
  assert.equal(codeIndex(8, 4, 4, 0), 32);
  const { store } = filled(6, 10, 9, { dtype: 'int8', tileRows: 4 });
  store.ensureQuantized();
  assert.equal(store.codeWidth, 8);
  const codes = store.blocks()[0]!.codes!;
  for (let row = 0; row < 10 && row < store.blocks()[0]!.rows; row++) {
    for (const j of [6, 7]) assert.equal(codes[codeIndex(8, 4, row, j)], 0, 'padding codes are 0');
  }
});

test('a version 1 vector file (dimension-major codes) opens with its codes remade', async () => {
  const dir = await tempDir();
  for (const scales of ['vector', 'dimension'] as const) {
    const { store } = filled(12, 150, 7, { dtype: 'int8', scales });
    store.ensureQuantized();
    const path = join(dir, `v2-${scales}.sidx`);
    await store.save(path);
    const v2 = await readContainer(path, VECTOR_FORMAT, [VECTOR_FORMAT_VERSION]);
    const sections = new Map<string, Uint8Array>();
    for (const { name } of v2.header.sections) {
      // Old codes are laid out differently: scramble them, the open must not use them.
      sections.set(
        name,
        name.startsWith('vec.codes.') ? v2.section(name).map((b) => b ^ 0x55) : v2.section(name),
      );
    }
    const v1Path = join(dir, `v1-${scales}.sidx`);
    await writeContainer(v1Path, VECTOR_FORMAT, 1, v2.header.meta, sections);
    const opened = await VectorStore.open(v1Path);
    opened.ensureQuantized();
    opened.blocks().forEach((block, b) => {
      assert.deepEqual(block.codes, store.blocks()[b]!.codes!.subarray(0, block.codes!.length));
    });
  }
});

for (const dtype of ['float32', 'float16', 'int8'] as VectorDtype[]) {
  test(`${dtype}: save and open round-trip rows, deletions and metadata; appends continue`, async () => {
    const dir = await tempDir();
    const { store } = filled(12, 150, 5, { dtype });
    store.delete(7);
    store.delete(140);
    const path = join(dir, `${dtype}.sidx`);
    await store.save(path);
    assert.equal(store.dirty, false);
    const opened = await VectorStore.open(path, { dimension: 12, modelId: 'test-model' });
    assert.deepEqual(opened.meta(), store.meta());
    for (let ord = 0; ord < 150; ord++) {
      assert.equal(opened.isLive(ord), store.isLive(ord));
      assert.deepEqual(opened.vector(ord), store.vector(ord));
    }
    if (dtype === 'int8') {
      opened.ensureQuantized();
      assert.deepEqual(
        opened.blocks()[2]!.codes!.subarray(0, 22 * 12),
        store.blocks()[2]!.codes!.subarray(0, 22 * 12),
      );
    }
    const more = randomUnitVectors(30, 12, 6);
    opened.addBatch(more, 30);
    assert.equal(opened.size, 180);
    const last = opened.vector(179);
    for (let j = 0; j < 12; j++) assert.ok(Math.abs(last[j]! - more[29 * 12 + j]!) <= 1e-3);
  });
}

test('opening for another dimension or model is refused with E_VECTOR_DIMENSION', async () => {
  const dir = await tempDir();
  const path = join(dir, 'v.sidx');
  await filled(12, 5, 7).store.save(path);
  await assert.rejects(VectorStore.open(path, { dimension: 384 }), (error: unknown) => {
    return (
      isSiftError(error, 'E_VECTOR_DIMENSION') && /dimension 12.*expected 384/.test((error as Error).message)
    );
  });
  await assert.rejects(VectorStore.open(path, { modelId: 'other-model' }), (error: unknown) => {
    return (
      isSiftError(error, 'E_VECTOR_DIMENSION') &&
      /"test-model", not "other-model"/.test((error as Error).message)
    );
  });
});

test('truncated, bit-flipped or foreign files are refused with E_INDEX_CORRUPT', async () => {
  const dir = await tempDir();
  const path = join(dir, 'v.sidx');
  await filled(12, 100, 8, { dtype: 'int8' }).store.save(path);
  const bytes = await readFile(path);
  const truncated = join(dir, 'truncated.sidx');
  await writeFile(truncated, bytes.subarray(0, bytes.length - 100));
  await assert.rejects(VectorStore.open(truncated), (error: unknown) =>
    isSiftError(error, 'E_INDEX_CORRUPT'),
  );
  const headerOnly = join(dir, 'header.sidx');
  await writeFile(headerOnly, bytes.subarray(0, 20));
  await assert.rejects(VectorStore.open(headerOnly), (error: unknown) =>
    isSiftError(error, 'E_INDEX_CORRUPT'),
  );
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 10]! ^= 0x40;
  const flippedPath = join(dir, 'flipped.sidx');
  await writeFile(flippedPath, flipped);
  await assert.rejects(VectorStore.open(flippedPath), (error: unknown) => {
    return isSiftError(error, 'E_INDEX_CORRUPT') && /checksum/.test((error as Error).message);
  });
  await assert.rejects(VectorStore.open(join(dir, 'missing.sidx')), (error: unknown) =>
    isSiftError(error, 'E_INDEX_NOT_FOUND'),
  );
});

test('a container whose sections disagree with the metadata is refused with a clear message', async () => {
  const dir = await tempDir();
  const { store } = filled(12, 100, 9);
  const sections = store.toSections(Uint32Array.from({ length: 100 }, (_, i) => i));
  const short = new Map(sections);
  short.set('vec.data.1', sections.get('vec.data.1')!.subarray(0, 40));
  const path = join(dir, 'short.sidx');
  await writeContainer(path, VECTOR_FORMAT, VECTOR_FORMAT_VERSION, {}, short);
  await assert.rejects(VectorStore.open(path), (error: unknown) => {
    return (
      isSiftError(error, 'E_INDEX_CORRUPT') &&
      /"vec.data.1" is 40 bytes, expected 1728/.test((error as Error).message)
    );
  });
  const missing = new Map(sections);
  missing.delete('vec.data.0');
  await writeContainer(path, VECTOR_FORMAT, VECTOR_FORMAT_VERSION, {}, missing);
  await assert.rejects(VectorStore.open(path), (error: unknown) =>
    /"vec.data.0" is missing/.test(String(error)),
  );
  const badMeta = new Map(sections);
  badMeta.set('vec.meta', new TextEncoder().encode('{"dimension": -1'));
  await writeContainer(path, VECTOR_FORMAT, VECTOR_FORMAT_VERSION, {}, badMeta);
  await assert.rejects(VectorStore.open(path), (error: unknown) => isSiftError(error, 'E_INDEX_CORRUPT'));
  await writeContainer(path, VECTOR_FORMAT, VECTOR_FORMAT_VERSION + 1, {}, sections);
  await assert.rejects(VectorStore.open(path), (error: unknown) => isSiftError(error, 'E_INDEX_VERSION'));
});

for (const dtype of ['float32', 'float16', 'int8'] as VectorDtype[]) {
  test(`${dtype}: toSections(live) compacts to the live ordinals, readable with fromContainer`, async () => {
    const dir = await tempDir();
    const { store } = filled(12, 150, 10, { dtype, scales: 'dimension' });
    const live = Uint32Array.from([...Array(150).keys()].filter((ord) => ord % 3 !== 0));
    for (let ord = 0; ord < 150; ord += 3) store.delete(ord);
    const path = join(dir, 'compact.sidx');
    await writeContainer(path, 'sift-lexical', 1, {}, store.toSections(live));
    const reopened = VectorStore.fromContainer(await readContainer(path, 'sift-lexical', [1]), {
      dimension: 12,
    });
    assert.equal(reopened.size, live.length);
    assert.equal(reopened.liveCount, live.length);
    live.forEach((ord, i) => {
      assert.deepEqual(reopened.vector(i), store.vector(ord));
    });
    if (dtype === 'int8') {
      // A compacting write fixes per-dimension scales from the rows it writes.
      const maxAbs = Math.max(...Array.from(live, (ord) => Math.abs(store.vector(ord)[3]!)));
      assert.ok(Math.abs(reopened.dimensionScales()![3]! - maxAbs / 127) < 1e-9);
    }
    // IndexComponent.write: the same compaction into a file of its own; ordinals past `rows` are skipped.
    const componentPath = join(dir, store.fileName);
    await store.write(componentPath, Uint32Array.from([...live, 150, 151]));
    const component = await VectorStore.open(componentPath);
    assert.equal(component.size, live.length);
  });
}

test('an empty store saves and opens', async () => {
  const dir = await tempDir();
  const path = join(dir, 'empty.sidx');
  await VectorStore.create(8, { modelId: 'm', dtype: 'int8', scales: 'dimension' }).save(path);
  const opened = await VectorStore.open(path);
  assert.equal(opened.size, 0);
  opened.add(new Float32Array(8).fill(0.5));
  assert.equal(opened.size, 1);
});
