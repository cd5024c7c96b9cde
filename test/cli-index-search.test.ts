// `sift index` and `sift search` on a user's own JSONL and CSV documents, through the real binary.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');

const JOBS = [
  {
    id: 'j1',
    title: 'Senior Nurse',
    text: 'Night shifts on the cardiology ward.',
    city: 'Oslo',
    salary: 70000,
  },
  {
    id: 'j2',
    title: 'Nurse Practitioner',
    text: 'Primary care clinic, days only.',
    city: 'Lima',
    salary: 82000,
  },
  { id: 'j3', title: 'Welder', text: 'TIG and MIG welding of steel frames.', city: 'Oslo', salary: 52000 },
];

async function workspace(): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const dir = await mkdtemp(join(tmpdir(), 'sift-cli-'));
  return { dir, env: { ...process.env, SIFT_HOME: join(dir, 'home') } };
}

test('indexes a JSONL file and searches it with filters, as JSON', async () => {
  const { dir, env } = await workspace();
  const file = join(dir, 'jobs.jsonl');
  await writeFile(file, `${JOBS.map((job) => JSON.stringify(job)).join('\n')}\n`);
  const indexed = await run(SIFT, ['index', file, '--quiet'], { env });
  assert.match(indexed.stdout, /indexed 3 documents/);
  const { stdout } = await run(SIFT, ['search', 'jobs', 'nurse', '--filter', 'city=oslo', '--json'], { env });
  const response = JSON.parse(stdout) as {
    results: Array<{ id: string; metadata: Record<string, unknown> }>;
  };
  assert.deepEqual(
    response.results.map((result) => result.id),
    ['j1'],
  );
  assert.equal(response.results[0]!.metadata.salary, 70000);
  // A filter on a field no document has fails, naming the field and the known ones.
  await assert.rejects(run(SIFT, ['search', 'jobs', 'nurse', '--filter', 'town=oslo'], { env }), (error) => {
    const { stderr } = error as { stderr: string };
    assert.match(stderr, /"town"/);
    assert.match(stderr, /known fields: city, salary/);
    assert.match(stderr, /E_FILTER_FIELD_UNKNOWN/);
    return true;
  });
});

test('indexes a CSV file; numeric columns filter as numbers', async () => {
  const { dir, env } = await workspace();
  const file = join(dir, 'jobs.csv');
  const rows = JOBS.map((job) => `${job.id},"${job.title}","${job.text}",${job.city},${job.salary}`);
  await writeFile(file, `id,title,text,city,salary\n${rows.join('\n')}\n`);
  await run(SIFT, ['index', file, '--out', join(dir, 'idx'), '--quiet'], { env });
  const { stdout } = await run(
    SIFT,
    ['search', join(dir, 'idx'), 'nurse welder', '--filter', 'salary>=60000', '--json'],
    {
      env,
    },
  );
  const ids = (JSON.parse(stdout) as { results: Array<{ id: string }> }).results
    .map((result) => result.id)
    .sort();
  assert.deepEqual(ids, ['j1', 'j2']);
});

test('a malformed line fails the load naming file and line, unless --skip-bad-lines counts it', async () => {
  const { dir, env } = await workspace();
  const file = join(dir, 'bad.jsonl');
  await writeFile(
    file,
    `${JSON.stringify(JOBS[0])}\n{"id": "j2", "title": "x"}\n${JSON.stringify(JOBS[2])}\n`,
  );
  await assert.rejects(
    run(SIFT, ['index', file, '--quiet'], { env }),
    (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr, /bad\.jsonl:2: .*"text".*\[E_BAD_JSONL\]/);
      return true;
    },
  );
  const skipped = await run(SIFT, ['index', file, '--skip-bad-lines', '--quiet'], { env });
  assert.match(skipped.stdout, /indexed 2 documents/);
  assert.match(skipped.stderr, /skipped 1 malformed records/);
});

test('searching an index that does not exist says how to build one', async () => {
  const { env } = await workspace();
  await assert.rejects(run(SIFT, ['search', 'nowhere', 'q'], { env }), (error: { stderr: string }) => {
    assert.match(error.stderr, /E_INDEX_NOT_FOUND/);
    assert.match(error.stderr, /sift index/);
    return true;
  });
});
