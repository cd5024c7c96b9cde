// The Encoder contract (src/models/types.ts), as one suite every embedder runs: n texts give n rows of
// `dimension` finite values, unit-norm when `normalized`, the same twice, and the same in a batch as one by
// one (batches are sorted by length and padded inside; padding must not leak into a row).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Encoder, TextRole } from '../../src/models/index.js';

export interface EncoderContractOptions {
  skip?: string | false;
  /** Largest |difference| allowed between a text's row in a batch and its row alone. */
  batchTolerance: number;
}

const TEXTS = [
  'heat transfer in the laminar boundary layer',
  'flutter',
  'Measurements of skin friction on a flat plate at supersonic speeds, with and without transpiration cooling.',
  'the shock wave ahead of a blunt body',
];

export function encoderContract(
  name: string,
  open: () => Promise<Encoder>,
  options: EncoderContractOptions,
): void {
  describe(`Encoder contract: ${name}`, { skip: options.skip }, () => {
    let encoder: Encoder;
    before(async () => {
      encoder = await open();
    });
    after(() => encoder?.release());

    const rows = (matrix: Float32Array) =>
      Array.from({ length: matrix.length / encoder.dimension }, (_, i) =>
        matrix.subarray(i * encoder.dimension, (i + 1) * encoder.dimension),
      );

    for (const role of ['query', 'document'] as TextRole[]) {
      it(`encodes n ${role} texts into n rows of finite values (unit norm when normalized)`, async () => {
        const matrix = await encoder.encode(TEXTS, role);
        assert.ok(matrix instanceof Float32Array);
        assert.equal(matrix.length, TEXTS.length * encoder.dimension);
        for (const row of rows(matrix)) {
          assert.ok(row.every(Number.isFinite));
          const norm = Math.hypot(...row);
          if (encoder.normalized) assert.ok(Math.abs(norm - 1) < 1e-3, `norm ${norm}`);
          else assert.ok(norm > 0);
        }
      });
    }

    it('encodes no texts into an empty matrix', async () => {
      assert.equal((await encoder.encode([], 'document')).length, 0);
    });

    it('gives the same rows twice', async () => {
      assert.deepEqual(await encoder.encode(TEXTS, 'document'), await encoder.encode(TEXTS, 'document'));
    });

    it('gives each text the same row in a batch as alone', async () => {
      const batch = rows(await encoder.encode(TEXTS, 'document'));
      for (const [i, text] of TEXTS.entries()) {
        const alone = await encoder.encode([text], 'document');
        let worst = 0;
        for (let j = 0; j < encoder.dimension; j++)
          worst = Math.max(worst, Math.abs(alone[j]! - batch[i]![j]!));
        assert.ok(worst <= options.batchTolerance, `"${text}": ${worst} apart`);
      }
    });

    it('truncates a text longer than the model reads instead of failing', async () => {
      const long = 'boundary layer transition on cones '.repeat(400);
      const matrix = await encoder.encode([long, 'flutter'], 'document');
      assert.equal(matrix.length, 2 * encoder.dimension);
      assert.ok(matrix.every(Number.isFinite));
    });
  });
}
