// Tensor comparison for the gradient parity tests: max |a − b| / max |b| over a tensor, asserted below a
// tolerance, with the largest seen kept so a suite can print it at the end (the number the training
// issue asks to report).

import assert from 'node:assert/strict';
import { after } from 'node:test';

export class RelativeErrorCheck {
  readonly worst = { rel: 0, what: '' };

  /** Prints the worst relative error against `reference` when the suite ends. */
  constructor(
    readonly tolerance: number,
    reference: string,
  ) {
    after(() =>
      console.log(
        `worst relative error against ${reference}: ${this.worst.rel.toExponential(2)} (${this.worst.what})`,
      ),
    );
  }

  assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
    assert.equal(actual.length, expected.length, `${what}: length`);
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < expected.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - expected[i]!));
      maxRef = Math.max(maxRef, Math.abs(expected[i]!));
    }
    const rel = maxDiff / Math.max(maxRef, 1e-30);
    if (rel > this.worst.rel) Object.assign(this.worst, { rel, what });
    assert.ok(rel <= this.tolerance, `${what}: relative error ${rel.toExponential(2)} > ${this.tolerance}`);
  }
}
