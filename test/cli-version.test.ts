// `sift --version` names the version, the exact-kNN kernel variant in use and whether the bf16 encoder
// runs, through the real binary.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { nativeEncoderStatus, nativeKnnStatus } from '../src/runtime/index.js';
import { SIFT_VERSION } from '../src/util/index.js';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const native = nativeKnnStatus();

test('--version prints the version and the kNN kernel variant this CPU picked', async () => {
  const { stdout } = await run(SIFT, ['--version']);
  const [version, kernel] = stdout.trim().split('\n');
  assert.equal(version, SIFT_VERSION);
  if (native.available) assert.match(kernel ?? '', new RegExp(`^kNN kernel: ${native.variant} \\(native`));
  else assert.match(kernel ?? '', /^kNN kernel: ONNX Runtime scan/);
});

test('--version reports the variant SIFT_KNN_ISA forced, and an unknown name as unavailable', {
  skip: native.available ? false : `native kernel not built: ${native.reason}`,
}, async () => {
  const scalar = await run(SIFT, ['--version'], { env: { ...process.env, SIFT_KNN_ISA: 'scalar' } });
  assert.match(scalar.stdout, /^kNN kernel: scalar \(native.*'auto' scans on ONNX Runtime/m);
  const unknown = await run(SIFT, ['--version'], { env: { ...process.env, SIFT_KNN_ISA: 'avx1024' } });
  assert.match(unknown.stdout, /^kNN kernel: ONNX Runtime scan \(native kernel unavailable: SIFT_KNN_ISA/m);
});

test('--version says whether the bf16 encoder runs here, and why not', async () => {
  const { stdout } = await run(SIFT, ['--version']);
  const line = stdout.trim().split('\n')[2] ?? '';
  const encoder = nativeEncoderStatus();
  if (encoder.available) assert.match(line, new RegExp(`^bf16 encoder: ${encoder.variant} \\(native`));
  else assert.equal(line.startsWith(`bf16 encoder: unavailable (${encoder.reason})`), true, line);
  const off = await run(SIFT, ['--version'], { env: { ...process.env, SIFT_NO_BF16_ENCODER: '1' } });
  assert.match(off.stdout, /^bf16 encoder: unavailable \(disabled by SIFT_NO_BF16_ENCODER=1\)/m);
});
