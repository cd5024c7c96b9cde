import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyReserve } from './latency-reserve.js';

test('nothing is reserved before anything is measured', () => {
  assert.equal(new LatencyReserve().ms, 0);
});

test('a steady latency is reserved with a margin that shrinks as it stays steady', () => {
  const reserve = new LatencyReserve();
  reserve.observe(40);
  // RFC 6298's first sample: mean 40, deviation 20, so 40 + 4·20.
  assert.equal(reserve.ms, 120);
  for (let i = 0; i < 50; i++) reserve.observe(40);
  assert.ok(reserve.ms > 40 && reserve.ms < 41, String(reserve.ms));
});

test('an outlier raises the reserve at once and it falls back over the next requests', () => {
  const reserve = new LatencyReserve();
  for (let i = 0; i < 50; i++) reserve.observe(20);
  reserve.observe(220);
  const raised = reserve.ms;
  assert.ok(raised > 200, String(raised));
  // The mean forgets at 1/8 per request: after 40 the outlier's share is under 1 ms.
  for (let i = 0; i < 40; i++) reserve.observe(20);
  assert.ok(reserve.ms < 22, String(reserve.ms));
});

test('negative and non-finite measurements do not corrupt it', () => {
  const reserve = new LatencyReserve();
  reserve.observe(Number.NaN);
  assert.equal(reserve.ms, 0);
  reserve.observe(-5);
  assert.equal(reserve.ms, 0);
});
