import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SiftError } from '../errors.js';
import { errorBody, statusOf } from './http-errors.js';

test('a ranker that is not trained here is a 404, like an unknown one, and its message names the command', () => {
  assert.equal(statusOf('E_RANKER_UNKNOWN'), 404);
  assert.equal(statusOf('E_MODEL_NOT_TRAINED'), 404);
  const body = errorBody(new SiftError('E_MODEL_NOT_TRAINED', 'run `sift train --preset default`'));
  assert.equal(body.error.code, 'E_MODEL_NOT_TRAINED');
  assert.match(body.error.message, /sift train --preset default/);
});
