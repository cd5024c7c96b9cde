// Model tests need pulled weights. Where a model is missing they skip, saying so loudly on stderr; under
// CI (.ci/run pulls every model and sets SIFT_REQUIRE_MODELS=1; CI=true counts too) a missing model is a
// failure instead, so CI never passes by skipping.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { siftPaths } from '../../src/util/index.js';

/** false when the model is in SIFT_HOME; else the skip reason (and under CI, a thrown error). */
export function modelSkip(modelId: string): false | string {
  return modelFileSkip(join(siftPaths().models, modelId), modelId);
}

/**
 * The same for one file (or folder) of a model: false when it exists; else the reason, said loudly on
 * stderr, and under CI (SIFT_REQUIRE_MODELS=1, or CI set) a thrown error, so CI never passes by skipping.
 */
export function modelFileSkip(path: string, modelId: string): false | string {
  if (existsSync(path)) return false;
  const reason = `no model at ${path} (sift models pull ${modelId})`;
  if (process.env.SIFT_REQUIRE_MODELS === '1' || process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`model test cannot skip under CI: ${reason}`);
  }
  process.stderr.write(`\n*** SKIPPING a model test: ${reason} ***\n`);
  return reason;
}
