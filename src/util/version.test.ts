// The version constant is package.json's version.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SIFT_VERSION } from './version.js';

test("SIFT_VERSION is package.json's version", () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  assert.equal(SIFT_VERSION, pkg.version);
});
