import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSiftError, SiftError } from '../errors.js';
import { ConcurrencyGate } from './gate.js';

test('a gate admits up to its limit, lines up the next ones in order and refuses past the line', async () => {
  const gate = new ConcurrencyGate({ name: 'g', limit: 1, maxWaiting: 2, refusal: 'E_TOO_MANY_REQUESTS' });
  const order: number[] = [];
  const first = await gate.acquire();
  const second = gate.acquire().then((release) => {
    order.push(2);
    return release;
  });
  const third = gate.acquire().then((release) => {
    order.push(3);
    return release;
  });
  await assert.rejects(gate.acquire(), (error) => isSiftError(error, 'E_TOO_MANY_REQUESTS'));
  assert.equal(gate.waiting, 2);
  first();
  first(); // releasing twice frees one slot only
  (await second)();
  (await third)();
  assert.deepEqual(order, [2, 3]);
  assert.equal(gate.active, 0);
});

test('a waiter whose signal aborts leaves the line without holding the gate', async () => {
  const gate = new ConcurrencyGate({ name: 'g', limit: 1, maxWaiting: 5, refusal: 'E_OVERLOADED' });
  const held = await gate.acquire();
  const controller = new AbortController();
  const waiting = gate.acquire(controller.signal);
  controller.abort(new SiftError('E_TIMEOUT', 'late'));
  await assert.rejects(waiting, (error) => isSiftError(error, 'E_TIMEOUT'));
  assert.equal(gate.waiting, 0);
  held();
  assert.equal(gate.active, 0);
});

test('a high-priority waiter is admitted before low-priority ones that came first', async () => {
  const gate = new ConcurrencyGate({ name: 't', limit: 1, maxWaiting: 10, refusal: 'E_OVERLOADED' });
  const holder = await gate.acquire();
  const order: string[] = [];
  const low = gate.acquire(undefined, 'low').then((release) => {
    order.push('low');
    release();
  });
  const high = gate.acquire(undefined, 'high').then((release) => {
    order.push('high');
    release();
  });
  assert.equal(gate.waiting, 2);
  holder();
  await Promise.all([low, high]);
  assert.deepEqual(order, ['high', 'low']);
});
