// Tests for the nomic-bert encoder (nomic-embed-text-v1.5 from its F16 GGUF): parity with an independent
// implementation, llama.cpp's embeddings through node-llama-cpp on the same file, on real texts of both
// shared collections; the GGUF vocabulary against bert-base-uncased's tokenizer; batching; Matryoshka widths.
//
// The model comes from SIFT_HOME/models (CI pulls it with `sift models pull nomic-embed-text-v1.5`).
// Without it the tests skip, saying so; under CI (SIFT_REQUIRE_MODELS) a missing model fails (test/lib/model-skip.ts).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cosine } from '../../../test/lib/cosine.js';
import { modelFileSkip } from '../../../test/lib/model-skip.js';
import { isSiftError } from '../../errors.js';
import { sharedDir, siftPaths } from '../../util/index.js';
import type { Embedder } from '../embedder.js';
import { readGguf } from '../gguf/gguf-file.js';
import { ggufTokenizer } from '../gguf/gguf-tokenizer.js';
import { openEmbedder, parseEmbedderRef } from '../open-embedder.js';
import { loadTokenizer, type TextTokenizer } from '../tokenizer.js';

const ID = 'nomic-embed-text-v1.5';
const file = join(siftPaths().models, ID, 'nomic-embed-text-v1.5.f16.gguf');
const skip = modelFileSkip(file, ID);

/** The first `n` records of a shared collection file. */
function records(collection: string, name: string, n: number): Array<Record<string, string>> {
  const path = join(sharedDir(), 'data', collection, name);
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, n)
    .map((line) => JSON.parse(line) as Record<string, string>);
}

const docs = [
  ...records('dbpedia-entity-subset', 'corpus.jsonl', 5),
  ...records('cranfield', 'corpus.jsonl', 5),
].map((d) => `${d['title']} ${d['text']}`);
const queries = [
  ...records('dbpedia-entity-subset', 'queries.jsonl', 5),
  ...records('cranfield', 'queries.jsonl', 5),
].map((q) => q['text'] ?? '');

let vocabTokenizer: Promise<TextTokenizer> | undefined;
/** The tokenizer rebuilt from the GGUF's vocabulary, read once. */
function nomicTokenizer(): Promise<TextTokenizer> {
  vocabTokenizer ??= readGguf(file).then((gguf) => ggufTokenizer(gguf).tokenizer);
  return vocabTokenizer;
}

describe('nomic-embed-text-v1.5 against llama.cpp (node-llama-cpp)', { skip }, () => {
  let embedder: Embedder;
  before(async () => {
    embedder = await openEmbedder(ID, { threads: 2, quiet: true });
  });
  after(() => embedder?.release());

  it('matches llama.cpp: cosine ≥ 0.999 on every query and document, same token ids', async () => {
    const { getLlama } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
    const model = await llama.loadModel({ modelPath: file });
    const context = await model.createEmbeddingContext({ threads: 1, contextSize: 2048 });
    try {
      let worst = 1;
      for (const [role, texts, prefix] of [
        ['document', docs, 'search_document: '],
        ['query', queries, 'search_query: '],
      ] as const) {
        const ours = await embedder.encode(texts, role);
        const ids = embedder.tokenize(texts, role);
        for (let i = 0; i < texts.length; i++) {
          const theirs = (await context.getEmbeddingFor(prefix + texts[i])).vector;
          const c = cosine(ours.subarray(i * 768, (i + 1) * 768), theirs);
          worst = Math.min(worst, c);
          assert.ok(c >= 0.999, `${role} ${i}: cosine ${c}`);
          // llama.cpp's tokenize leaves out [CLS] and [SEP].
          assert.deepEqual(
            [...(ids[i] ?? [])].slice(1, -1),
            [...model.tokenize(prefix + texts[i])],
            `${role} ${i}`,
          );
        }
      }
      console.log(`# nomic-embed-text-v1.5 vs llama.cpp: worst cosine ${worst.toFixed(6)} over 20 texts`);
    } finally {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    }
  });

  it('puts the task prefixes before queries and documents', async () => {
    const tokenizer = await nomicTokenizer();
    assert.deepEqual(embedder.tokenize(['x'], 'query'), tokenizer.encodeBatch(['search_query: x']).ids);
    assert.deepEqual(embedder.tokenize(['x'], 'document'), tokenizer.encodeBatch(['search_document: x']).ids);
  });

  it('gives a text the same vector alone and in a batch of longer texts', async () => {
    const batch = await embedder.encode([queries[0] ?? '', ...docs.slice(0, 3)], 'document');
    const alone = await embedder.encode([queries[0] ?? ''], 'document');
    assert.ok(cosine(batch.subarray(0, 768), alone) > 0.99999);
  });

  it('keeps Matryoshka widths: @256 is the layer-normed, truncated, renormalised full vector', async () => {
    const narrow = await openEmbedder(`${ID}@256`, { threads: 2, quiet: true });
    try {
      assert.equal(narrow.id, `${ID}@256`);
      assert.equal(narrow.dimension, 256);
      const full = await embedder.encode(queries.slice(0, 3), 'query');
      const cut = await narrow.encode(queries.slice(0, 3), 'query');
      for (let i = 0; i < 3; i++) {
        // Layer norm ignores the scale of its input (up to ε), so the normalised full vector serves.
        const row = full.subarray(i * 768, (i + 1) * 768);
        const mean = row.reduce((s, v) => s + v, 0) / 768;
        const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / 768;
        const expected = row.slice(0, 256).map((v) => (v - mean) / Math.sqrt(variance));
        assert.ok(cosine(cut.subarray(i * 256, (i + 1) * 256), expected) > 0.9999);
      }
    } finally {
      await narrow.release();
    }
  });
});

describe('the nomic GGUF vocabulary', { skip }, () => {
  before(() => {});

  it("tokenises as bert-base-uncased (all-MiniLM-L6-v2's tokenizer.json)", async () => {
    const bert = await loadTokenizer(join(sharedDir(), 'tokenizers', 'all-MiniLM-L6-v2'));
    const texts = [
      ...docs,
      ...queries,
      'Crème brûlée at the Café Müller — naïve façade, 東京 and ﬁ ligatures!',
      "don't   stop\tbelieving… 3.14159 e-mail @user #hashtag",
    ];
    const ours = (await nomicTokenizer()).encodeBatch(texts).ids;
    assert.deepEqual(ours, bert.encodeBatch(texts).ids);
  });
});

describe('embedder refs with a Matryoshka width', () => {
  it('parses id@D and id@D:int8', () => {
    assert.deepEqual(parseEmbedderRef('nomic-embed-text-v1.5@256'), {
      id: 'nomic-embed-text-v1.5',
      dtype: 'auto',
      dimension: 256,
    });
    assert.deepEqual(parseEmbedderRef('all-minilm-l6-v2:int8'), { id: 'all-minilm-l6-v2', dtype: 'int8' });
    assert.throws(
      () => parseEmbedderRef('nomic-embed-text-v1.5@0'),
      (e) => isSiftError(e) && e.code === 'E_MODEL_VARIANT',
    );
  });
});
