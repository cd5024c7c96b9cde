import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { isSiftError } from '../errors.js';
import { querySplit } from '../ingest/index.js';
import { readTrainingJsonl } from './examples.js';
import { committedLabelSets, labelSetsDir, preset } from './presets.js';

describe('training presets', () => {
  it('names the default preset and refuses unknown ones', () => {
    assert.equal(preset('default').id, 'sift-ce-minilm-l6');
    assert.throws(
      () => preset('fastest'),
      (error) => isSiftError(error, 'E_BAD_ARGUMENT') && /default/.test(error.message),
    );
  });

  it('reads the committed label sets the manifest lists, and they hold training queries only', async () => {
    const manifest = JSON.parse(await readFile(`${labelSetsDir()}manifest.json`, 'utf8')) as {
      sets: Record<string, { labels: number }>;
    };
    const sets = committedLabelSets();
    assert.deepEqual(sets.map((s) => s.name).sort(), Object.keys(manifest.sets).sort());
    for (const set of sets) {
      const examples = await readTrainingJsonl(set.file);
      assert.equal(examples.length, manifest.sets[set.name]!.labels, set.name);
      // Students are evaluated on the test queries: not one of their labels may be in a label set.
      const leaked = examples.filter((e) => querySplit(e.queryId) !== 'train').map((e) => e.queryId);
      assert.deepEqual([...new Set(leaked)], [], `${set.name}: test queries in the label set`);
      // Each set says how well its judge agrees with people, which decides whether presets train on it.
      assert.ok(set.audit && set.audit.pairs > 0, `${set.name}: no audit in the manifest`);
      assert.ok(set.audit.kappaLinear >= -1 && set.audit.kappaLinear <= 1);
    }
  });
});
