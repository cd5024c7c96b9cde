import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SiftError } from '../errors.js';
import { errorBody, statusOf, toSiftError } from './http-errors.js';
import { Counter, Histogram } from './metrics.js';

test('counters and histograms render the Prometheus text format, labels escaped', () => {
  const counter = new Counter('c_total', 'a counter');
  counter.inc({ route: '/a"b' });
  counter.inc({ route: '/a"b' }, 2);
  assert.deepEqual(counter.render(), [
    '# HELP c_total a counter',
    '# TYPE c_total counter',
    'c_total{route="/a\\"b"} 3',
  ]);
  const histogram = new Histogram('h', 'a histogram', [1, 5]);
  histogram.observe({ s: 'x' }, 0.5);
  histogram.observe({ s: 'x' }, 3);
  histogram.observe({ s: 'x' }, 9);
  assert.deepEqual(histogram.render().slice(2), [
    'h_bucket{s="x",le="1"} 1',
    'h_bucket{s="x",le="5"} 2',
    'h_bucket{s="x",le="+Inf"} 3',
    'h_sum{s="x"} 12.5',
    'h_count{s="x"} 3',
  ]);
});

test('error codes map to HTTP statuses in one table; fastify errors become ours by status', () => {
  assert.equal(statusOf('E_BAD_FILTER'), 400);
  assert.equal(statusOf('E_RANKER_UNKNOWN'), 404);
  assert.equal(statusOf('E_TOO_MANY_REQUESTS'), 429);
  assert.equal(statusOf('E_OVERLOADED'), 503);
  assert.equal(statusOf('E_IO'), 500);
  assert.equal(
    toSiftError(Object.assign(new Error('too big'), { statusCode: 413 })).code,
    'E_PAYLOAD_TOO_LARGE',
  );
  assert.equal(toSiftError(Object.assign(new Error('bad'), { validation: [] })).code, 'E_BAD_REQUEST');
  assert.deepEqual(errorBody(new SiftError('E_NOT_FOUND', 'gone')), {
    error: { code: 'E_NOT_FOUND', message: 'gone [E_NOT_FOUND]' },
  });
});
