// Tests for the GGUF reader and dequantisers: parity with gguf-py on real model files, and clear errors.
//
// The reference values (test/fixtures/gguf-dequant-reference.json) were made with llama.cpp's gguf-py
// (see the fixture's `made_with`) by /tmp scripts described in test/fixtures/README.md: for the first
// tensor of each ggml type in each model, the first and last 16 values, the sum and the sum of |x|.
// Models come from SIFT_HOME (sift models pull smollm2-135m-instruct-q4 gemma3-270m-q4); absent, those tests skip.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { modelFileSkip } from '../../../test/lib/model-skip.js';
import { isSiftError } from '../../errors.js';
import { siftPaths } from '../../util/index.js';
import { dequantize } from './dequantize.js';
import type { GgmlTypeName } from './ggml-types.js';
import { parseGguf, readGguf, tensorBytes } from './gguf-file.js';

interface ReferenceTensor {
  tensor: string;
  type: GgmlTypeName;
  elements: number;
  first: number[];
  last: number[];
  sum: number;
  sum_abs: number;
}

const reference = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/gguf-dequant-reference.json', import.meta.url), 'utf8'),
) as { models: Record<string, ReferenceTensor[]> };

const files: Record<string, string> = {
  'smollm2-135m-instruct-q4': 'SmolLM2-135M-Instruct.Q4_1.gguf',
  'gemma3-270m-q4': 'gemma-3-270m-q4_k_m.gguf',
};

describe('GGUF dequantisation matches gguf-py', () => {
  for (const [model, tensors] of Object.entries(reference.models)) {
    const path = join(siftPaths().models, model, files[model] ?? '');
    const skip = modelFileSkip(path, model);
    it(`${model}: ${tensors.map((t) => t.type).join(', ')}`, { skip }, async () => {
      const gguf = await readGguf(path);
      for (const expected of tensors) {
        const info = gguf.tensors.get(expected.tensor);
        assert.ok(info, `tensor ${expected.tensor}`);
        assert.equal(info.type, expected.type);
        assert.equal(info.elements, expected.elements);
        const values = dequantize(info.type, tensorBytes(gguf, info), info.elements);
        const close = (a: number, b: number, what: string): void => {
          assert.ok(
            Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)),
            `${expected.tensor} ${what}: ${a} vs ${b}`,
          );
        };
        for (const [i, v] of expected.first.entries()) close(values[i] ?? Number.NaN, v, `value ${i}`);
        for (const [i, v] of expected.last.entries()) {
          close(values[values.length - 16 + i] ?? Number.NaN, v, `value −${16 - i}`);
        }
        let sum = 0;
        let sumAbs = 0;
        for (const v of values) {
          sum += v;
          sumAbs += Math.abs(v);
        }
        assert.ok(Math.abs(sumAbs - expected.sum_abs) <= 1e-6 * expected.sum_abs, `${expected.tensor} Σ|x|`);
        assert.ok(Math.abs(sum - expected.sum) <= 1e-6 * expected.sum_abs, `${expected.tensor} Σx`);
      }
    });
  }
});

/** A GGUF v3 file header ("GGUF", version, tensor count, metadata count) and nothing after it. */
function ggufHeader(tensors: bigint, metadata: bigint): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0x46554747, 0);
  header.writeUInt32LE(3, 4);
  header.writeBigUInt64LE(tensors, 8);
  header.writeBigUInt64LE(metadata, 16);
  return header;
}

describe('GGUF reader errors', () => {
  it('refuses a file that is not GGUF, and a truncated one, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sift-gguf-'));
    try {
      const notGguf = join(dir, 'model.gguf');
      await writeFile(notGguf, Buffer.from('PK\u0003\u0004 this is a zip, not a gguf file'));
      await assert.rejects(
        readGguf(notGguf),
        (e) => isSiftError(e, 'E_MODEL_LOAD') && e.message.includes(notGguf),
      );
      // A valid header that promises one metadata entry and then ends.
      const header = ggufHeader(0n, 1n);
      assert.throws(
        () => parseGguf(header, 'cut.gguf'),
        (e) => isSiftError(e, 'E_MODEL_LOAD') && /truncated/.test(e.message),
      );
      await assert.rejects(readGguf(join(dir, 'absent.gguf')), (e) => isSiftError(e, 'E_MODEL_FILE'));
      // A complete header whose one F32 tensor of 32 values (128 bytes) has no data after it.
      const name = Buffer.from('blk.0.weight');
      const table = Buffer.alloc(8 + name.length + 4 + 8 + 4 + 8);
      let at = table.writeBigUInt64LE(BigInt(name.length), 0);
      at += name.copy(table, at);
      at = table.writeUInt32LE(1, at);
      at = table.writeBigUInt64LE(32n, at);
      at = table.writeUInt32LE(0, at);
      table.writeBigUInt64LE(0n, at);
      const head = ggufHeader(1n, 0n);
      assert.throws(
        () => parseGguf(Buffer.concat([head, table]), 'short.gguf'),
        (e) => isSiftError(e, 'E_MODEL_LOAD') && /"blk\.0\.weight" runs past the end/.test(e.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
