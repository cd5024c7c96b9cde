// Tests for the tokenizer wrapper: golden tables from the Python `tokenizers` library, and sift's truncation.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isSiftError } from '../errors.js';
import { sharedDir } from '../util/index.js';
import { loadTokenizer, truncatePair } from './tokenizer.js';

const tokenizers = join(sharedDir(), 'tokenizers');
const minilm = join(tokenizers, 'all-MiniLM-L6-v2');
const crossEncoder = join(tokenizers, 'cross-encoder-ms-marco-MiniLM-L-12-v2');
const smollm = join(tokenizers, 'SmolLM-360M-Instruct');
const goldenPath = new URL('../../../test/fixtures/tokenizers-golden.json', import.meta.url);
const noSharedData = !existsSync(minilm) && `shared tokenizers not found under ${tokenizers}`;

interface GoldenEntry {
  text: string;
  text_pair?: string;
  ids: number[];
  tokens?: string[];
  type_ids?: number[];
  decoded?: string;
}

/** Finds every {text, ids} entry in the golden file, keyed by the tokenizer folder it sits under. */
function goldenEntries(): Map<string, GoldenEntry[]> {
  const byTokenizer = new Map<string, GoldenEntry[]>();
  const walk = (value: unknown, tokenizer: string | undefined): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item, tokenizer);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    const named = typeof record.tokenizer === 'string' ? record.tokenizer : tokenizer;
    if (typeof record.text === 'string' && Array.isArray(record.ids) && named) {
      const list = byTokenizer.get(named) ?? [];
      list.push(record as unknown as GoldenEntry);
      byTokenizer.set(named, list);
      return;
    }
    for (const [key, child] of Object.entries(record))
      walk(child, existsSync(join(tokenizers, key)) ? key : named);
  };
  walk(JSON.parse(readFileSync(goldenPath, 'utf8')), undefined);
  return byTokenizer;
}

describe('tokenizer golden tables', { skip: noSharedData }, () => {
  it('matches every entry of test/fixtures/tokenizers-golden.json', async () => {
    const golden = goldenEntries();
    assert.ok(golden.size > 0, 'the golden file has entries');
    let checked = 0;
    for (const [name, entries] of golden) {
      // Golden ids were made without truncation; a huge maxLength turns ours off too.
      const tokenizer = await loadTokenizer(join(tokenizers, name), { maxLength: 1_000_000 });
      for (const entry of entries) {
        const where = `${name}: ${JSON.stringify(entry.text)}${entry.text_pair === undefined ? '' : ` + ${JSON.stringify(entry.text_pair)}`}`;
        const encoded =
          entry.text_pair === undefined
            ? tokenizer.encodeBatch([entry.text])
            : tokenizer.encodePairs([entry.text], [entry.text_pair]);
        const ids = Array.from(encoded.ids[0]!);
        assert.deepEqual(ids, entry.ids, `ids of ${where}`);
        if (entry.type_ids)
          assert.deepEqual(Array.from(encoded.typeIds[0]!), entry.type_ids, `type ids of ${where}`);
        if (entry.tokens)
          assert.deepEqual(
            ids.map((id) => tokenizer.idToToken(id)),
            entry.tokens,
            `tokens of ${where}`,
          );
        if (entry.decoded !== undefined)
          assert.equal(tokenizer.decode(ids), entry.decoded, `decoded ${where}`);
        checked++;
      }
    }
    assert.ok(checked > 0);
  });
});

describe('tokenizer against sentence-transformers', { skip: noSharedData }, () => {
  const referencePath = new URL('../../../test/fixtures/minilm-l6-reference.json', import.meta.url);

  it('feeds all-MiniLM-L6-v2 the ids sentence-transformers does, truncation at 256 included', async () => {
    const reference = JSON.parse(readFileSync(referencePath, 'utf8')) as {
      max_seq_length: number;
      cases: Array<{ text: string; input_ids: number[]; truncated: boolean }>;
    };
    const tokenizer = await loadTokenizer(minilm, { maxLength: reference.max_seq_length });
    const { ids } = tokenizer.encodeBatch(reference.cases.map((c) => c.text));
    reference.cases.forEach((c, i) => {
      assert.deepEqual(Array.from(ids[i]!), c.input_ids, `case ${i}`);
    });
    assert.ok(
      reference.cases.some((c) => c.truncated),
      'the reference exercises truncation',
    );
  });

  it('matches the golden SmolLM yes/no ids and special token ids', async () => {
    const golden = JSON.parse(readFileSync(goldenPath, 'utf8')) as {
      tokenizers: Record<
        string,
        { smollm?: { yes_ids: number[]; no_ids: number[]; special_token_ids: Record<string, number> } }
      >;
    };
    const facts = golden.tokenizers['SmolLM-360M-Instruct']?.smollm;
    assert.ok(facts);
    const tokenizer = await loadTokenizer(smollm);
    const { ids } = tokenizer.encodeBatch([' yes', ' no']);
    assert.deepEqual(Array.from(ids[0]!), facts.yes_ids);
    assert.deepEqual(Array.from(ids[1]!), facts.no_ids);
    for (const [token, id] of Object.entries(facts.special_token_ids))
      assert.equal(tokenizer.tokenToId(token), id);
  });
});

describe('loadTokenizer', { skip: noSharedData }, () => {
  it('encodes a sentence with [CLS] … [SEP], no padding, and decodes it back', async () => {
    const tokenizer = await loadTokenizer(minilm, { maxLength: 256 });
    const { ids, attentionMask, typeIds } = tokenizer.encodeBatch(['Hello, world!', 'A man is eating food.']);
    // Python tokenizers 0.23 on the same tokenizer.json, truncation and padding off.
    assert.deepEqual(Array.from(ids[0]!), [101, 7592, 1010, 2088, 999, 102]);
    assert.deepEqual(Array.from(attentionMask[0]!), [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(Array.from(typeIds[0]!), [0, 0, 0, 0, 0, 0]);
    assert.ok(ids[0] instanceof Int32Array);
    assert.equal(tokenizer.decode(ids[1]!), 'a man is eating food.');
    assert.equal(tokenizer.tokenToId('[CLS]'), 101);
    assert.equal(tokenizer.idToToken(102), '[SEP]');
  });

  it('truncates the content and keeps [CLS] and [SEP]', async () => {
    const tokenizer = await loadTokenizer(minilm, { maxLength: 256 });
    const text = 'the boundary layer grows along the heated plate '.repeat(10);
    const full = tokenizer.encodeBatch([text], { maxLength: 10_000 }).ids[0]!;
    const cut = tokenizer.encodeBatch([text], { maxLength: 16 }).ids[0]!;
    assert.equal(cut.length, 16);
    assert.equal(cut[0], 101);
    assert.equal(cut[15], 102);
    assert.deepEqual(Array.from(cut.subarray(0, 15)), Array.from(full.subarray(0, 15)));
  });

  it("overrides the truncation at 128 and fixed padding built into all-MiniLM's tokenizer.json", async () => {
    const tokenizer = await loadTokenizer(minilm, { maxLength: 256 });
    const long = tokenizer.encodeBatch(['word '.repeat(400)]).ids[0]!;
    assert.equal(long.length, 256);
    assert.equal(tokenizer.encodeBatch(['short']).ids[0]!.length, 3);
    assert.equal(tokenizer.maxLength, 256);
  });

  it('defaults maxLength to model_max_length from tokenizer_config.json', async () => {
    const tokenizer = await loadTokenizer(minilm);
    assert.equal(tokenizer.maxLength, 512);
  });

  it('encodes pairs with segment ids, truncating as the Rust tokenizers crate does', async () => {
    const tokenizer = await loadTokenizer(crossEncoder, { maxLength: 512 });
    const a = 'one two three four five six seven eight nine ten';
    const b = 'alpha beta gamma delta epsilon zeta eta theta iota kappa';
    // Expected values from Python tokenizers 0.23 with enable_truncation(max_length, strategy).
    const longest = tokenizer.encodePairs([a], [b], { maxLength: 18, truncation: 'longest_first' });
    assert.deepEqual(
      Array.from(longest.ids[0]!),
      [
        101, 2028, 2048, 2093, 2176, 2274, 2416, 2698, 102, 6541, 8247, 13091, 7160, 28038, 23870, 27859,
        23963, 102,
      ],
    );
    assert.deepEqual(Array.from(longest.typeIds[0]!), [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const onlySecond = tokenizer.encodePairs(['one two three'], [b], {
      maxLength: 12,
      truncation: 'only_second',
    });
    assert.deepEqual(
      Array.from(onlySecond.ids[0]!),
      [101, 2028, 2048, 2093, 102, 6541, 8247, 13091, 7160, 28038, 23870, 102],
    );
    const swapped = tokenizer.encodePairs([b], ['one two three'], {
      maxLength: 8,
      truncation: 'longest_first',
    });
    assert.deepEqual(Array.from(swapped.ids[0]!), [101, 6541, 8247, 13091, 102, 2028, 2048, 102]);
  });

  it('falls back to longest_first when the first text alone overflows only_second', async () => {
    const tokenizer = await loadTokenizer(crossEncoder, { maxLength: 512 });
    const { ids } = tokenizer.encodePairs(['one two three four five six'], ['alpha beta'], { maxLength: 6 });
    assert.equal(ids[0]!.length, 6);
    assert.deepEqual(Array.from(ids[0]!), [101, 2028, 2048, 102, 6541, 102]);
  });

  it('gives SmolLM its " yes" and " no" ids with no special tokens added', async () => {
    const tokenizer = await loadTokenizer(smollm);
    const { ids } = tokenizer.encodeBatch([' yes', ' no']);
    assert.deepEqual(Array.from(ids[0]!), [9805]);
    assert.deepEqual(Array.from(ids[1]!), [787]);
    assert.equal(tokenizer.decode([19556, 905]), 'Hello world');
  });

  it('rejects a maxLength with no room for content', async () => {
    const tokenizer = await loadTokenizer(minilm);
    assert.throws(
      () => tokenizer.encodeBatch(['x'], { maxLength: 2 }),
      (error) => isSiftError(error, 'E_BAD_ARGUMENT'),
    );
  });
});

describe('loadTokenizer errors', () => {
  it('reports a folder without tokenizer.json as E_MODEL_FILE', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sift-tokenizer-'));
    try {
      await assert.rejects(loadTokenizer(dir), (error) => {
        assert.ok(isSiftError(error, 'E_MODEL_FILE'));
        assert.equal(error.context.file, join(dir, 'tokenizer.json'));
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('truncatePair', () => {
  it('leaves pairs that fit alone', () => {
    assert.deepEqual(truncatePair([1, 2], [3], 3, 'longest_first'), [[1, 2], [3]]);
  });

  it('gives the shorter text up to half the budget under longest_first', () => {
    const ten = Array.from({ length: 10 }, (_, i) => i);
    const [a, b] = truncatePair(ten, ten, 15, 'longest_first');
    assert.deepEqual([a.length, b.length], [7, 8]);
    const [c, d] = truncatePair([1, 2, 3], ten, 7, 'longest_first');
    assert.deepEqual([c.length, d.length], [3, 4]);
  });

  it('cuts only the second text under only_second', () => {
    const [a, b] = truncatePair([1, 2, 3], [4, 5, 6, 7, 8], 5, 'only_second');
    assert.deepEqual(
      [a, b],
      [
        [1, 2, 3],
        [4, 5],
      ],
    );
  });
});
