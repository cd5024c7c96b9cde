import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSiftError } from '../errors.js';
import { DEFAULT_RANKER, resolveRanker } from './index.js';

test('resolveRanker names the id openRanker would report, without opening a model', () => {
  assert.equal(resolveRanker('default'), DEFAULT_RANKER);
  assert.equal(resolveRanker('smollm2-135m-yesno'), 'smollm2-135m-yesno');
  assert.equal(resolveRanker('smollm2-135m-yesno:fp32'), 'smollm2-135m-yesno');
  assert.equal(resolveRanker('smollm2-135m-qlik:int8'), 'smollm2-135m-qlik:int8');
  assert.throws(
    () => resolveRanker('no-such-ranker'),
    (error) => isSiftError(error, 'E_RANKER_UNKNOWN'),
  );
  assert.throws(
    () => resolveRanker('smollm2-135m-qlik:int4'),
    (error) => isSiftError(error, 'E_RANKER_UNKNOWN'),
  );
});
