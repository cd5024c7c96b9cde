// End to end through the `sift judge` contract forms on the shared collections.
//
// The judge is sift's default (Qwen2.5-Coder-1.5B-Instruct on llama.cpp, with its shipped calibration);
// the model must be in SIFT_HOME (.ci/run pulls it). Samples are small (8 pairs): a 1.5B model on two
// cores takes a second or more a pair.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { readQrels } from '../src/eval/index.js';
import { modelSkip } from './lib/model-skip.js';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const SHARED = resolve(process.env.SIFT_SHARED ?? '../shared');

const env = { ...process.env } as Record<string, string>;
const skip = modelSkip('qwen2.5-coder-1.5b-instruct-q4');

for (const [name, gradeMap] of [
  ['cranfield', '0:0,1:1,2:2,3:4'],
  ['dbpedia-entity-subset', '0:0,1:1,2:1,3:2'],
] as const) {
  test(`sample → run (local judge) → audit → export on ${name}`, { skip }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sift-judge-'));
    const store = join(dir, 'labels.sqlite');
    const folder = join(SHARED, 'data', name);
    const sample = [
      'judge',
      'sample',
      '--collection',
      folder,
      '--queries',
      '2',
      '--per-query',
      '4',
      '--store',
      store,
    ];
    const sampled = await run(SIFT, [...sample, '--judged-share', '0.5', '--quiet'], { env });
    assert.match(sampled.stdout, /sampled 8 pairs over 2 queries/);

    const judged = await run(
      SIFT,
      ['judge', 'run', '--store', store, '--judge', 'default', '--threads', '1', '--quiet'],
      {
        env,
      },
    );
    assert.match(judged.stdout, /8 labelled, 0 from cache, 0 failed of 8 pending/);
    const again = await run(
      SIFT,
      ['judge', 'run', '--store', store, '--judge', 'default', '--threads', '1', '--quiet'],
      {
        env,
      },
    );
    assert.match(again.stdout, /0 labelled, 0 from cache, 0 failed of 0 pending/);

    const json = join(dir, 'audit.json');
    const audit = [
      'judge',
      'audit',
      '--store',
      store,
      '--qrels',
      join(folder, 'qrels', 'test.tsv'),
      '--json',
      json,
    ];
    await run(SIFT, [...audit, '--map-grades', gradeMap, '--quiet'], { env });
    const report = JSON.parse(await readFile(json, 'utf8')) as Record<string, unknown>;
    assert.ok((report['pairs'] as number) >= 2, 'judged-share puts human-graded pairs in the sample');
    for (const key of ['kappa_linear', 'kappa_quadratic', 'spearman']) {
      const value = report[key] as number;
      // A judge that gives one grade to every pair has no defined kappa or correlation (null).
      assert.ok(
        value === null || (typeof value === 'number' && value >= -1 && value <= 1),
        `${key} = ${value}`,
      );
    }
    const ordering = report['system_ordering'] as { systems: unknown[]; kendall_tau: number | null };
    assert.equal(ordering.systems.length, 5);
    assert.equal(report['judge_id'], 'llama:qwen2.5-coder-1.5b-instruct-q4');
    assert.equal(report['policy'], 'web-search');

    const qrelsOut = join(dir, 'judge.qrels.tsv');
    await run(SIFT, ['judge', 'export', '--store', store, '--format', 'qrels', '--out', qrelsOut], { env });
    const exported = await readQrels(qrelsOut);
    assert.equal(
      [...exported.values()].reduce((n, docs) => n + docs.size, 0),
      8,
    );
    const jsonlOut = join(dir, 'judge.jsonl');
    await run(SIFT, ['judge', 'export', '--store', store, '--format', 'jsonl', '--out', jsonlOut], { env });
    const lines = (await readFile(jsonlOut, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, 8);
    for (const line of lines) {
      assert.equal(typeof line['query'], 'string');
      assert.equal(typeof line['text'], 'string');
      assert.ok((line['grade_normalized'] as number) >= 0 && (line['grade_normalized'] as number) <= 1);
      assert.match(line['policy_hash'] as string, /^[0-9a-f]{64}$/);
    }

    const db = new Database(store, { readonly: true });
    const rows = db.prepare('SELECT stratum, count(*) AS n FROM pairs GROUP BY stratum').all() as Array<{
      stratum: string;
      n: number;
    }>;
    assert.ok(rows.some((r) => r.stratum === 'random'));
    assert.ok(rows.some((r) => r.stratum === '1-10'));
    db.close();
  });
}

test('an unknown judge model or a missing policy fails clearly and writes no labels', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sift-judge-'));
  const store = join(dir, 'labels.sqlite');
  const folder = join(SHARED, 'data', 'cranfield');
  await run(
    SIFT,
    [
      'judge',
      'sample',
      '--collection',
      folder,
      '--queries',
      '1',
      '--per-query',
      '3',
      '--store',
      store,
      '--quiet',
    ],
    { env },
  );
  await assert.rejects(
    run(SIFT, ['judge', 'run', '--store', store, '--judge', 'no-such-model', '--quiet'], { env }),
    (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr, /unknown model "no-such-model".*\[E_MODEL_UNKNOWN\]/);
      return true;
    },
  );
  await assert.rejects(
    run(SIFT, ['judge', 'run', '--store', store, '--judge', 'default', '--policy', join(dir, 'missing.md')], {
      env,
    }),
    (error: { stderr: string }) => /E_FILE_NOT_FOUND/.test(error.stderr),
  );
  await assert.rejects(
    run(SIFT, ['judge', 'audit', '--store', store, '--qrels', join(folder, 'qrels', 'test.tsv')], { env }),
    (error: { stderr: string }) => /no labels yet.*\[E_STORE\]/.test(error.stderr),
  );
});

test('a committed label set imports into a new store and exports again to the same records', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sift-judge-'));
  const store = join(dir, 'jobs.sqlite');
  const committed = resolve('assets/labels/jobs.jsonl.gz');
  const manifest = JSON.parse(await readFile(resolve('assets/labels/manifest.json'), 'utf8')) as {
    sets: Record<string, { labels: number; policy: string }>;
  };
  const { labels, policy } = manifest.sets['jobs']!;
  // Under another policy every line's hash differs: refused at line 1, and no store is made.
  await assert.rejects(
    run(SIFT, ['judge', 'import', '--store', store, '--labels', committed, '--policy', 'web-search'], {
      env,
    }),
    (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr, /jobs\.jsonl\.gz:1: field "policy_hash".*\[E_LABEL_IMPORT\]/);
      return true;
    },
  );
  const imported = await run(
    SIFT,
    ['judge', 'import', '--store', store, '--labels', committed, '--policy', policy],
    { env },
  );
  assert.match(imported.stdout, new RegExp(`imported ${labels} of ${labels} labels`));
  const again = await run(
    SIFT,
    ['judge', 'import', '--store', store, '--labels', committed, '--policy', policy],
    {
      env,
    },
  );
  assert.match(
    again.stdout,
    new RegExp(`imported 0 of ${labels} labels.*${labels} were already in the store`),
  );

  const out = join(dir, 'jobs.jsonl');
  await run(SIFT, ['judge', 'export', '--store', store, '--format', 'jsonl', '--out', out], { env });
  const records = async (file: string) => {
    const { gunzipSync } = await import('node:zlib');
    const raw = await readFile(file);
    const text = file.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    return text
      .trim()
      .split('\n')
      .map((line) => {
        // The judge's own answers; the calibrated grade depends on the calibration in force at export
        // (the committed sets used each store's own, which `sift judge calibrate` refits).
        const {
          grade: _g,
          grade_normalized: _n,
          relevant: _r,
          calibrated: _c,
          ...judged
        } = JSON.parse(line) as Record<string, unknown>;
        return judged;
      })
      .sort((a, b) => `${a['query_id']} ${a['doc_id']}`.localeCompare(`${b['query_id']} ${b['doc_id']}`));
  };
  // The same pairs and texts, the same raw grades, soft labels, scores and prompt hashes.
  assert.deepEqual(await records(out), await records(committed));
});
