// A damaged vector file is refused by the real binary with the file's path and E_INDEX_CORRUPT, and a
// restored file searches again: the damage is never read as vectors. Uses the all-MiniLM-L6-v2 model that
// `.ci/run` pulls into SIFT_HOME.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
let indexDir: string;
let vectorFile: string;
let pristine: string;

before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sift-vectors-cli-'));
  const docs = join(dir, 'jobs.jsonl');
  await writeFile(
    docs,
    [
      { id: 'j1', title: 'Senior Nurse', text: 'Night shifts on the cardiology ward.' },
      { id: 'j2', title: 'Welder', text: 'TIG and MIG welding of steel frames.' },
      { id: 'j3', title: 'Line Cook', text: 'Busy kitchen, breakfast and lunch service.' },
    ]
      .map((doc) => JSON.stringify(doc))
      .join('\n'),
  );
  indexDir = join(dir, 'index');
  await run(SIFT, ['index', docs, '--out', indexDir, '--embedder', 'all-minilm-l6-v2', '--quiet']);
  const generation = (await readdir(indexDir)).find((name) => name.startsWith('gen-'))!;
  vectorFile = join(indexDir, generation, 'vectors-all-minilm-l6-v2.sidx');
  pristine = join(dir, 'pristine.sidx');
  await copyFile(vectorFile, pristine);
});

async function denseSearch(): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(SIFT, [
      'search',
      indexDir,
      'hospital nurse',
      '--mode',
      'dense',
      '--json',
    ]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

test('a flipped byte in the vector file fails its checksum, naming the file', async () => {
  const bytes = await readFile(pristine);
  bytes[bytes.length - 64]! ^= 0xff;
  await writeFile(vectorFile, bytes);
  const result = await denseSearch();
  assert.notEqual(result.code, 0);
  assert.ok(result.stderr.includes(vectorFile), result.stderr);
  assert.match(result.stderr, /checksum mismatch \[E_INDEX_CORRUPT\]/);
});

test('a truncated vector file is refused, naming the file', async () => {
  const bytes = await readFile(pristine);
  await writeFile(vectorFile, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const result = await denseSearch();
  assert.notEqual(result.code, 0);
  assert.ok(result.stderr.includes(vectorFile), result.stderr);
  assert.match(result.stderr, /truncated.*\[E_INDEX_CORRUPT\]/);
});

test('the restored file searches again, nearest document first', async () => {
  await copyFile(pristine, vectorFile);
  const result = await denseSearch();
  assert.equal(result.code, 0, result.stderr);
  const response = JSON.parse(result.stdout) as { results: Array<{ id: string }> };
  assert.equal(response.results[0]!.id, 'j1');
});
