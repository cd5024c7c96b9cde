// Tests for the safetensors reader: round trip, dtype conversion, and refusal of truncated or corrupt files.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isSiftError } from '../errors.js';
import { encodeSafetensors, parseSafetensors, readSafetensors } from './safetensors.js';

/** Builds a file by hand so dtypes the encoder does not write (F16, BF16) can be tested. */
function handMade(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

describe('safetensors', () => {
  it('round-trips float32 and int64 tensors with metadata', () => {
    const bytes = encodeSafetensors(
      [
        { name: 'w', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
        { name: 'ids', shape: [1, 2], data: BigInt64Array.from([7n, -8n]) },
      ],
      { format: 'pt' },
    );
    const file = parseSafetensors(bytes, 'mem.safetensors');
    assert.deepEqual(file.names, ['w', 'ids']);
    assert.deepEqual(file.metadata, { format: 'pt' });
    const w = file.float32('w');
    assert.deepEqual(w.shape, [2, 3]);
    assert.deepEqual([...w.data], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual([...(file.tensor('ids').data as BigInt64Array)], [7n, -8n]);
  });

  it('widens F16 and BF16 to float32, even at unaligned offsets', () => {
    // 1.5 in f16 is 0x3e00; -2 in bf16 is 0xc000 (the high half of f32 -2 = 0xc0000000).
    const data = new Uint8Array([0xaa, 0x00, 0x3e, 0x00, 0xc0]);
    const header = {
      pad: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
      h: { dtype: 'F16', shape: [1], data_offsets: [1, 3] },
      b: { dtype: 'BF16', shape: [1], data_offsets: [3, 5] },
    };
    const file = parseSafetensors(handMade(header, data), 'mem');
    assert.deepEqual([...file.float32('h').data], [1.5]);
    assert.deepEqual([...file.float32('b').data], [-2]);
  });

  it('refuses a truncated file, naming the file and the tensor', () => {
    const bytes = encodeSafetensors([
      { name: 'a', shape: [4], data: new Float32Array(4) },
      { name: 'encoder.last', shape: [8], data: new Float32Array(8) },
    ]);
    assert.throws(
      () => parseSafetensors(bytes.subarray(0, bytes.byteLength - 4), 'model.safetensors'),
      (error: unknown) =>
        isSiftError(error, 'E_MODEL_LOAD') &&
        /model\.safetensors/.test(error.message) &&
        /encoder\.last/.test(error.message),
    );
  });

  it('refuses garbage headers and offsets that do not match the shape', () => {
    const corrupt = (bytes: Uint8Array) => () => parseSafetensors(bytes, 'bad.safetensors');
    const isLoadError = (error: unknown) => isSiftError(error, 'E_MODEL_LOAD');
    assert.throws(corrupt(new Uint8Array(4)), isLoadError);
    assert.throws(corrupt(new Uint8Array(64).fill(0xff)), isLoadError);
    assert.throws(corrupt(handMade({ x: 1 } as Record<string, unknown>, new Uint8Array(0))), isLoadError);
    const wrongSize = handMade({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8));
    assert.throws(corrupt(wrongSize), isLoadError);
    const badJson = new Uint8Array(16);
    new DataView(badJson.buffer).setBigUint64(0, 8n, true);
    badJson.set(new TextEncoder().encode('{"a":[}}'), 8);
    assert.throws(corrupt(badJson), isLoadError);
  });

  it('reports a missing file as E_MODEL_FILE and reads one from disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sift-st-'));
    try {
      await assert.rejects(readSafetensors(join(dir, 'none.safetensors')), (e: unknown) =>
        isSiftError(e, 'E_MODEL_FILE'),
      );
      const path = join(dir, 'ok.safetensors');
      await writeFile(
        path,
        encodeSafetensors([{ name: 'v', shape: [2], data: Float32Array.from([0.5, -0.25]) }]),
      );
      const file = await readSafetensors(path);
      assert.deepEqual([...file.float32('v').data], [0.5, -0.25]);
      assert.throws(
        () => file.tensor('missing'),
        (e: unknown) => isSiftError(e, 'E_MODEL_LOAD'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
