// The cross-cutting helpers' public face: atomic writes, file hashes, paths, progress bars, caches, the
// seeded PRNGs, half floats and the version.
export { writeFileAtomic } from './atomic-write.js';
export { sha256File } from './file-hash.js';
export { bfloat16ToFloat32, float16ToFloat32, floatToHalf, HALF_TABLE, halfToFloat } from './half.js';
export { LruCache } from './lru-cache.js';
export { sharedDir, siftPaths } from './paths.js';
export { ProgressBar } from './progress.js';
export {
  checkSeed,
  createRandom,
  deriveSeed,
  Mulberry32,
  mulberry32,
  type Random,
  xoshiro128ss,
} from './random.js';
export { SIFT_VERSION } from './version.js';
