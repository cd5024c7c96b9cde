// Checks ln Γ, the regularised incomplete beta function and Student's t tails against closed forms and tables.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logGamma, regularizedIncompleteBeta, studentTCdf, studentTTwoSided } from './student-t.js';

const close = (actual: number, expected: number, tolerance: number): void => {
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
};

describe('logGamma', () => {
  it('matches factorials and Γ(1/2) = √π', () => {
    close(logGamma(1), 0, 1e-14);
    close(logGamma(5), Math.log(24), 1e-13);
    close(logGamma(11), Math.log(3628800), 1e-12);
    close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-14);
    close(logGamma(0.25), Math.log(3.625609908221908), 1e-13);
  });
});

describe('regularizedIncompleteBeta', () => {
  it('matches closed forms', () => {
    for (const x of [0, 0.01, 0.3, 0.5, 0.77, 0.999, 1]) {
      close(regularizedIncompleteBeta(x, 1, 1), x, 1e-13); // I_x(1, 1) = x
      close(regularizedIncompleteBeta(x, 3, 1), x ** 3, 1e-13); // I_x(a, 1) = x^a
      close(regularizedIncompleteBeta(x, 1, 4), 1 - (1 - x) ** 4, 1e-13); // I_x(1, b) = 1 − (1 − x)^b
      // I_x(1/2, 1/2) = (2/π) asin(√x), the arcsine distribution.
      close(regularizedIncompleteBeta(x, 0.5, 0.5), (2 / Math.PI) * Math.asin(Math.sqrt(x)), 1e-12);
    }
    close(regularizedIncompleteBeta(0.5, 7.5, 7.5), 0.5, 1e-13); // symmetry
  });
});

describe('studentTTwoSided', () => {
  it('matches the closed forms for 1 and 2 degrees of freedom', () => {
    for (const t of [0, 0.3, 1, 2.5, 10, 300]) {
      // df = 1 is the Cauchy distribution: P(|T| ≥ t) = 1 − (2/π) atan(t).
      close(studentTTwoSided(t, 1), 1 - (2 / Math.PI) * Math.atan(t), 1e-12);
      // df = 2: P(|T| ≥ t) = 1 − t / √(2 + t²).
      close(studentTTwoSided(t, 2), 1 - t / Math.sqrt(2 + t * t), 1e-12);
    }
  });

  it('matches table critical values', () => {
    // Two-sided 5% critical values: t(0.975; 9) = 2.262157, t(0.975; 30) = 2.042272, t(0.975; 1) = 12.706205.
    close(studentTTwoSided(2.262157, 9), 0.05, 1e-6);
    close(studentTTwoSided(-2.042272, 30), 0.05, 1e-6);
    close(studentTTwoSided(12.706205, 1), 0.05, 1e-6);
    // Two-sided 1%: t(0.995; 20) = 2.845340.
    close(studentTTwoSided(2.84534, 20), 0.01, 1e-6);
    // Large df tends to the normal: P(|Z| ≥ 1.959964) = 0.05.
    close(studentTTwoSided(1.959964, 1e7), 0.05, 1e-6);
    assert.equal(studentTTwoSided(Number.POSITIVE_INFINITY, 5), 0);
    assert.ok(Number.isNaN(studentTTwoSided(1, 0)));
  });

  it('gives a CDF consistent with the tails', () => {
    close(studentTCdf(0, 4), 0.5, 1e-14);
    close(studentTCdf(2.262157, 9), 0.975, 1e-6);
    close(studentTCdf(-2.262157, 9), 0.025, 1e-6);
  });
});
