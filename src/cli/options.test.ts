// Unit tests for the CLI's own pieces: option-value parsers (commander shows their messages), the remote
// layout the --shards/--replication options ask for, and the flywheel's state file (resume or refuse).

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { isSiftError } from '../errors.js';
import { readFlywheelState } from './flywheel-state.js';
import {
  parseNonNegativeNumber,
  parsePositiveInt,
  parsePositiveNumber,
  parseSummaryMethod,
  remoteLayout,
} from './options.js';

describe('option parsers', () => {
  it('take what they promise and refuse the rest, quoting the value', () => {
    assert.equal(parsePositiveInt('12'), 12);
    for (const bad of ['0', '-3', '1.5', 'ten', '']) {
      assert.throws(
        () => parsePositiveInt(bad),
        (e) => e instanceof InvalidArgumentError && e.message.includes(`"${bad}"`),
      );
    }
    assert.equal(parseNonNegativeNumber('0'), 0);
    assert.equal(parsePositiveNumber('2e-5'), 2e-5);
    assert.throws(() => parseNonNegativeNumber('-0.1'), InvalidArgumentError);
    assert.throws(() => parsePositiveNumber('0'), InvalidArgumentError);
    assert.throws(() => parsePositiveNumber('Infinity'), InvalidArgumentError);
  });

  it('pass on only the layout fields that were given', () => {
    assert.deepEqual(remoteLayout({}), {});
    assert.deepEqual(remoteLayout({ shards: 3 }), { shards: 3 });
    assert.deepEqual(remoteLayout({ shards: 3, replication: 2 }), { shards: 3, replicationFactor: 2 });
  });

  it('name the field of an unknown summary method', () => {
    assert.equal(parseSummaryMethod('lead'), 'lead');
    assert.throws(
      () => parseSummaryMethod('abstractive'),
      (e) => isSiftError(e, 'E_BAD_ARGUMENT') && e.context.field === 'method',
    );
  });
});

describe('flywheel state', () => {
  let dir: string;
  const identity = { collection: 'cranfield', policy: 'general', judge: 'qwen-1.5b' };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sift-flywheel-state-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('starts fresh where there is no file and resumes the recorded steps where there is', async () => {
    const file = join(dir, 'fresh.json');
    assert.deepEqual(await readFlywheelState(file, identity), { version: 1, ...identity, steps: {} });
    const step = { at: '2026-12-06T00:00:00Z', seconds: 3, inputs: 'abc', detail: { queries: 20 } };
    await writeFile(file, JSON.stringify({ version: 1, ...identity, steps: { queries: step } }));
    assert.deepEqual((await readFlywheelState(file, identity)).steps.queries, step);
  });

  it('refuses a folder of another judge, an unknown version and broken JSON, naming the file', async () => {
    const other = join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ version: 1, ...identity, judge: 'gpt', steps: {} }));
    await assert.rejects(
      readFlywheelState(other, identity),
      (e) => isSiftError(e, 'E_FLYWHEEL') && e.context.field === 'judge' && e.context.file === other,
    );
    const future = join(dir, 'future.json');
    await writeFile(future, JSON.stringify({ version: 2, ...identity, steps: {} }));
    await assert.rejects(readFlywheelState(future, identity), /unknown version/);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"version": 1,');
    await assert.rejects(
      readFlywheelState(broken, identity),
      (e) => isSiftError(e, 'E_FLYWHEEL') && /not valid JSON/.test(e.message),
    );
  });
});
