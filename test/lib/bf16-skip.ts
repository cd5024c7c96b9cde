// Whether sift's native bfloat16 encoder (native/encoder.cc) can be tested here. It needs a CPU with
// AVX512-BF16 (AMX where present); on any other CPU its tests skip, saying why on stderr. On a CPU that has
// it, an addon that did not build or load is a failure, never a skip.

import { nativeEncoderStatus } from '../../src/runtime/index.js';

/** false when the kernel runs here; else the skip reason (a CPU without AVX512-BF16 only). */
export function bf16KernelSkip(): false | string {
  const status = nativeEncoderStatus();
  if (status.available) return false;
  if (status.reason?.includes('no AVX512-BF16')) {
    process.stderr.write(`\n*** SKIPPING a bf16 encoder test: ${status.reason} ***\n`);
    return status.reason;
  }
  throw new Error(`the bf16 encoder should run on this CPU but did not load: ${status.reason}`);
}
