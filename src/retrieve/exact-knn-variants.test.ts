// Runs the kernel parity tests (exact-knn-kernels.test.ts) once more under each lower variant this CPU
// supports, so that one machine checks every path it can execute: the addon picks its variant once at load,
// so each variant needs its own process, started with SIFT_KNN_ISA naming it.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadNativeKnn, nativeKnnStatus } from '../runtime/index.js';

const native = nativeKnnStatus();
const kernel = loadNativeKnn();
const skip = native.available ? false : `native kernel not built: ${native.reason}`;
const parityTests = fileURLToPath(new URL('./exact-knn-kernels.test.js', import.meta.url));

// The picked variant is covered by the parity file's own run; the lower ones here.
for (const variant of kernel?.supported.slice(1) ?? []) {
  test(`kernel parity tests pass under SIFT_KNN_ISA=${variant}`, { skip }, () => {
    // Without NODE_TEST_CONTEXT, which the runner sets for its own children and which would make the
    // child report to this runner instead of running the file.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const run = spawnSync(process.execPath, ['--test', '--test-reporter=tap', parityTests], {
      env: { ...env, SIFT_KNN_ISA: variant },
      encoding: 'utf8',
      timeout: 300_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    assert.equal(run.status, 0, output);
    // Every test ran: none was skipped (a skip would mean the addon refused the variant).
    assert.match(output, /# skipped 0/, output);
    assert.match(output, /# fail 0/, output);
  });
}

test('an unknown SIFT_KNN_ISA makes the addon refuse to load, saying why', { skip }, () => {
  const probe = `import('${new URL('../runtime/index.js', import.meta.url).href}').then((m) => console.log(JSON.stringify(m.nativeKnnStatus())))`;
  const run = spawnSync(process.execPath, ['-e', probe], {
    env: { ...process.env, SIFT_KNN_ISA: 'avx1024' },
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  const status = JSON.parse(run.stdout) as { available: boolean; reason?: string };
  assert.equal(status.available, false);
  assert.match(status.reason ?? '', /SIFT_KNN_ISA/);
});
