import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSiftError } from '../errors.js';
import { documentHash, SummaryFile, summaryVariantKey } from './summaries.js';

const variant = { method: 'extractive' as const, budget: 64 };
const doc = { title: 'Wings', text: 'Flutter of swept wings. Measured in a tunnel.' };

describe('SummaryFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sift-summaries-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps summaries across opens, and never serves one made from older text', async () => {
    const index = join(dir, 'a');
    const file = await SummaryFile.open(index, variant);
    assert.equal(file.needs('1', doc), true);
    await file.append([{ id: '1', doc, summary: 'Flutter of swept wings.' }]);
    const reopened = await SummaryFile.open(index, variant);
    assert.equal(reopened.get('1', doc), 'Flutter of swept wings.');
    const edited = { ...doc, text: `${doc.text} New results.` };
    assert.equal(reopened.get('1', edited), undefined, 'stale: the document changed');
    assert.equal(reopened.needs('1', edited), true);
    await reopened.append([{ id: '1', doc: edited, summary: 'New results.' }]);
    assert.equal((await SummaryFile.open(index, variant)).get('1', edited), 'New results.');
    // Another budget is another variant, in its own file.
    assert.equal((await SummaryFile.open(index, { ...variant, budget: 32 })).size, 0);
  });

  it('drops a torn last line (a writer killed mid-append) and appends cleanly after it', async () => {
    const index = join(dir, 'b');
    const file = await SummaryFile.open(index, variant);
    await file.append([{ id: '1', doc, summary: 'one' }]);
    await appendFile(file.file, '{"id":"2","hash":"ab'); // the kill
    const reopened = await SummaryFile.open(index, variant);
    assert.equal(reopened.size, 1);
    await reopened.append([{ id: '2', doc, summary: 'two' }]);
    const again = await SummaryFile.open(index, variant);
    assert.equal(again.get('2', doc), 'two');
    assert.equal(
      (await readFile(file.file, 'utf8')).split('\n').filter(Boolean).length,
      3,
      'header + 2 entries',
    );
  });

  it('keeps a complete last entry that lost its newline, and starts the next append on a new line', async () => {
    const index = join(dir, 'c');
    const file = await SummaryFile.open(index, variant);
    await appendFile(file.file, JSON.stringify({ id: '1', hash: documentHash(doc), text: 'one' }));
    const reopened = await SummaryFile.open(index, variant);
    assert.equal(reopened.get('1', doc), 'one');
    await reopened.append([{ id: '2', doc, summary: 'two' }]);
    const again = await SummaryFile.open(index, variant);
    assert.equal(again.get('1', doc), 'one');
    assert.equal(again.get('2', doc), 'two');
  });

  it('reports a malformed line before the last with its file and line, and refuses a bad budget', async () => {
    const index = join(dir, 'd');
    const file = await SummaryFile.open(index, variant);
    await appendFile(file.file, 'not json\n{"id":"1","hash":"x","text":"y"}\n');
    await assert.rejects(SummaryFile.open(index, variant), (error: unknown) => {
      assert.ok(isSiftError(error) && error.code === 'E_INDEX_CORRUPT');
      assert.equal(error.context.line, 2);
      assert.equal(error.context.file, file.file);
      return true;
    });
    assert.throws(() => summaryVariantKey({ method: 'extractive', budget: 0 }), /positive number of tokens/);
    await writeFile(join(dir, 'other.jsonl'), '');
  });
});
