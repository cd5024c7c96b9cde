// Where the cluster tests find Weaviate: SIFT_WEAVIATE_URL, set by .ci/run after
// `scripts/weaviate-cluster.sh up 3 DIR`. Without it they skip, loudly; with SIFT_REQUIRE_WEAVIATE=1
// (CI) a missing URL is a failure, never a skip.

import { test } from 'node:test';

export const WEAVIATE_URL = process.env.SIFT_WEAVIATE_URL;

/**
 * Registers the suite when a cluster is there; otherwise one skipped test that says why (or, in CI, a
 * failing one).
 */
export function clusterSuite(name: string, register: (url: string) => void): void {
  if (WEAVIATE_URL) {
    register(WEAVIATE_URL);
    return;
  }
  const why = `${name}: SIFT_WEAVIATE_URL is not set (start a cluster: scripts/weaviate-cluster.sh up 3 DIR)`;
  if (process.env.SIFT_REQUIRE_WEAVIATE === '1') {
    test(name, () => {
      throw new Error(`SIFT_REQUIRE_WEAVIATE=1 but ${why}`);
    });
    return;
  }
  process.stderr.write(`\n*** SKIPPED ${why} ***\n\n`);
  test(name, { skip: `SKIPPED: ${why}` }, () => {});
}
