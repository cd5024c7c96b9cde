// The training-data readers: the judge's JSONL shape (bad input named by file, line and field), the
// fixed-hash query split, and length-bucketed batches.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSiftError } from '../errors.js';
import { epochBatches, queryBatches, queryGroups } from './batches.js';
import { devSplit } from './dev-split.js';
import { readTrainingJsonl } from './examples.js';
import { learningRate } from './schedule.js';

const good = {
  query_id: 'q1',
  doc_id: 'd1',
  query: 'wing flutter',
  title: 'Flutter',
  text: 'flutter of thin wings',
  grade: 3,
  grade_normalized: 0.75,
  soft_label: [0, 0.1, 0.2, 0.6, 0.1],
  rationale: 'on topic',
};

describe('readTrainingJsonl', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sift-train-data-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const file = async (name: string, lines: string[]) => {
    const path = join(dir, name);
    await writeFile(path, lines.join('\n'));
    return path;
  };

  it("reads the judge's export shape", async () => {
    const path = await file('ok.jsonl', [
      JSON.stringify(good),
      '',
      JSON.stringify({ ...good, doc_id: 7, soft_label: null }),
    ]);
    const examples = await readTrainingJsonl(path);
    assert.equal(examples.length, 2);
    assert.deepEqual(examples[0]!.softLabel, good.soft_label);
    assert.equal(examples[1]!.docId, '7');
    assert.equal(examples[1]!.softLabel, null);
  });

  it('refuses an empty file', async () => {
    const path = await file('empty.jsonl', ['', '  ']);
    await assert.rejects(
      readTrainingJsonl(path),
      (e) => isSiftError(e, 'E_TRAIN_DATA') && e.context.file === path,
    );
  });

  it('names the file and line of a line that is not JSON', async () => {
    const path = await file('bad.jsonl', [JSON.stringify(good), '{"query_id": "q2",']);
    await assert.rejects(
      readTrainingJsonl(path),
      (e) => isSiftError(e, 'E_BAD_JSONL') && e.context.line === 2,
    );
  });

  it('names the file, line and field of a record that lacks what training needs', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, grade_normalized: 1.5 }, 'grade_normalized'],
      [{ ...good, query: undefined }, 'query'],
      [{ ...good, soft_label: [0.5, 0.2] }, 'soft_label'],
      [{ ...good, grade: 'high' }, 'grade'],
    ];
    for (const [record, field] of cases) {
      const path = await file(`${field}.jsonl`, [
        JSON.stringify(good),
        JSON.stringify(good),
        JSON.stringify(record),
      ]);
      await assert.rejects(
        readTrainingJsonl(path),
        (e) =>
          isSiftError(e, 'E_TRAIN_DATA') &&
          e.context.line === 3 &&
          e.context.field === field &&
          e.context.file === path,
      );
    }
  });
});

describe('devSplit', () => {
  it('splits by a fixed hash of the key, about 80/20', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => String(i));
    const train = ids.filter((id) => devSplit(id) === 'train').length;
    assert.ok(train > 750 && train < 850, `${train} of 1000 in train`);
    assert.equal(devSplit('1'), devSplit('1'));
  });
});

describe('queryBatches', () => {
  const keys = Array.from({ length: 60 }, (_, i) => `q${i % 13}`);

  it('keeps each query whole and consecutive, covers every example once, the same way per seed and epoch', () => {
    const batches = queryBatches(keys, 10, 1, 0);
    assert.deepEqual(
      batches.flat().sort((a, b) => a - b),
      keys.map((_, i) => i),
    );
    for (const batch of batches) {
      const seen = new Set<string>();
      batch.forEach((row, i) => {
        const key = keys[row]!;
        if (i > 0 && keys[batch[i - 1]!] !== key) assert.ok(!seen.has(key), `${key} split within a batch`);
        seen.add(key);
      });
      assert.ok(batch.length <= 10 || new Set(batch.map((r) => keys[r])).size === 1);
    }
    const owners = new Map<string, number>();
    batches.forEach((batch, b) => {
      for (const row of batch) {
        const key = keys[row]!;
        assert.ok(!owners.has(key) || owners.get(key) === b, `${key} in two batches`);
        owners.set(key, b);
      }
    });
    assert.deepEqual(queryBatches(keys, 10, 1, 0), batches);
    assert.notDeepEqual(queryBatches(keys, 10, 1, 1), batches);
  });

  it('groups consecutive rows of a query', () => {
    assert.deepEqual(
      queryGroups([4, 5, 9, 1, 2], (r) => (r < 3 ? 'a' : r < 6 ? 'b' : 'c')),
      [
        { start: 0, count: 2 },
        { start: 2, count: 1 },
        { start: 3, count: 2 },
      ],
    );
  });
});

describe('epochBatches', () => {
  const lengths = Array.from({ length: 1000 }, (_, i) => 10 + ((i * 7919) % 200));

  it('covers every example once, the same way for the same seed and epoch, differently per epoch', () => {
    const a = epochBatches(lengths, 16, 1, 0);
    assert.deepEqual(
      a.flat().sort((x, y) => x - y),
      lengths.map((_, i) => i),
    );
    assert.deepEqual(epochBatches(lengths, 16, 1, 0), a);
    assert.notDeepEqual(epochBatches(lengths, 16, 1, 1), a);
  });

  it('groups similar lengths, so padding is far below random batching', () => {
    const padding = (batches: number[][]) =>
      batches.reduce(
        (sum, b) => sum + b.reduce((s, i) => s + Math.max(...b.map((j) => lengths[j]!)) - lengths[i]!, 0),
        0,
      );
    const random = Array.from({ length: 63 }, (_, k) => lengths.map((_, i) => i).slice(k * 16, k * 16 + 16));
    assert.ok(padding(epochBatches(lengths, 16, 1, 0)) < padding(random) / 5);
  });
});

describe('learningRate', () => {
  const o = { peak: 1, warmupSteps: 10, totalSteps: 110 };
  it('warms up linearly, then decays linearly or by cosine to 0', () => {
    assert.equal(learningRate(0, { ...o, decay: 'linear' }), 0);
    assert.equal(learningRate(5, { ...o, decay: 'linear' }), 0.5);
    assert.equal(learningRate(10, { ...o, decay: 'linear' }), 1);
    assert.equal(learningRate(60, { ...o, decay: 'linear' }), 0.5);
    assert.ok(Math.abs(learningRate(60, { ...o, decay: 'cosine' }) - 0.5) < 1e-12);
    assert.ok(
      Math.abs(learningRate(35, { ...o, decay: 'cosine' }) - 0.5 * (1 + Math.cos(Math.PI / 4))) < 1e-12,
    );
    assert.equal(learningRate(110, { ...o, decay: 'cosine' }), 0);
  });
});
