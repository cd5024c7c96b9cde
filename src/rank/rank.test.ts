// Tests for the ranking stage: prompt templates, label checks, the yes/no ranker on real SmolLM2 weights
// (shared-prefix scores equal whole-prompt scores, int8 close to fp32), and reranking through the score
// cache.
//
// The model comes from SIFT_HOME (sift models pull smollm2-135m-instruct-q4); without it those tests skip.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { modelFileSkip } from '../../test/lib/model-skip.js';
import { isSiftError } from '../errors.js';
import { loadDecoder } from '../models/index.js';
import { siftPaths } from '../util/index.js';
import { scoreThroughCache } from './cached-scores.js';
import { DecoderRanker } from './decoder-ranker.js';
import { openRanker } from './index.js';
import { parsePromptTemplate, readPromptTemplate } from './prompt-template.js';
import {
  parseQueryLikelihoodTemplate,
  type QueryLikelihoodRanker,
  readQueryLikelihoodTemplate,
} from './query-likelihood-ranker.js';
import { promptTemplatePath, rankerSpec } from './registry.js';
import { rerank } from './rerank.js';
import { ScoreCache } from './score-cache.js';
import type { RankCandidate, Ranker } from './types.js';

const file = join(siftPaths().models, 'smollm2-135m-instruct-q4', 'SmolLM2-135M-Instruct.Q4_1.gguf');
const noModel = modelFileSkip(file, 'smollm2-135m-instruct-q4');

const candidates: RankCandidate[] = [
  {
    id: 'heat',
    title: 'Heat transfer in laminar boundary layers',
    text: 'Measurements of heat transfer rates in the laminar boundary layer of a flat plate at Mach 3.',
  },
  {
    id: 'bread',
    title: 'Baking bread',
    text: 'Knead the dough for ten minutes and let it rise for an hour.',
  },
  {
    id: 'untitled',
    title: '',
    text: 'Flutter of swept wings at transonic speeds, with a simple aeroelastic model.',
  },
  {
    id: 'long',
    title: 'A long report',
    text: 'Boundary layer transition on cones. '.repeat(80),
  },
];

describe('prompt templates', () => {
  it('splits the shipped template into a query prefix, a document slot and a suffix', async () => {
    const template = await readPromptTemplate(promptTemplatePath('relevance-chatml.txt'));
    assert.match(template.beforeQuery, /^<\|im_start\|>system\n/);
    assert.match(template.afterQuery, /Document:\n$/);
    assert.equal(template.suffix, '<|im_end|>\n<|im_start|>assistant\n');
    assert.deepEqual(template.documentLayout, { kind: 'document' });
  });

  it('accepts {title} … {text} and keeps what lies between them', () => {
    const t = parsePromptTemplate('Q: {query}\nTitle: {title}\nBody: {text}\nRelevant?', 'inline');
    assert.deepEqual(t.documentLayout, { kind: 'fields', between: '\nBody: ' });
    assert.equal(t.suffix, '\nRelevant?');
  });

  it('refuses templates without a document slot, with the query after the document, or unknown slots', () => {
    const refuses = (text: string, pattern: RegExp) =>
      assert.throws(
        () => parsePromptTemplate(text, 'bad.txt'),
        (e) =>
          isSiftError(e, 'E_PROMPT_TEMPLATE') && pattern.test(e.message) && e.message.startsWith('bad.txt: '),
      );
    refuses('Query: {query}\nAnswer yes or no.', /document slot/);
    refuses('Doc: {document}\nQuery: {query}', /before the document/);
    refuses('Query: {query} {documnet}', /unknown slot \{documnet\}/);
    refuses('{query} {query} {document}', /exactly one \{query\}/);
  });
});

describe('ranker registry', () => {
  it('resolves default, ids and :int8 variants, and refuses unknown ones', () => {
    assert.equal(rankerSpec('default').spec.id, 'smollm2-135m-qlik');
    assert.equal(rankerSpec('smollm2-135m-yesno:int8').dtype, 'int8');
    assert.throws(
      () => rankerSpec('ms-marco-minilm'),
      (e) => isSiftError(e, 'E_RANKER_UNKNOWN'),
    );
    assert.throws(
      () => rankerSpec('smollm2-135m-yesno:int4'),
      (e) => isSiftError(e, 'E_RANKER_UNKNOWN'),
    );
  });
});

describe('ScoreCache', () => {
  it('keys by content and evicts the least recently used entry', () => {
    const cache = new ScoreCache(2);
    const a = ScoreCache.key('r', 'q', 't', 'a');
    const b = ScoreCache.key('r', 'q', 't', 'b');
    const c = ScoreCache.key('r', 'q', 't', 'c');
    assert.notEqual(ScoreCache.key('r', 'q', 'ta', ''), ScoreCache.key('r', 'q', 't', 'a'));
    cache.set(a, 1);
    cache.set(b, 2);
    assert.equal(cache.get(a), 1); // a is now the most recent
    cache.set(c, 3);
    assert.equal(cache.get(b), undefined);
    assert.equal(cache.get(a), 1);
    assert.equal(cache.get(c), 3);
  });
});

describe('rerank', () => {
  it('orders the top N by ranker score, keeps both stages, and leaves the tail below in first-stage order', async () => {
    const byLength: Ranker = {
      id: 'by-length',
      score: async (_q, cs) => Float32Array.from(cs, (c) => c.text.length),
      release: async () => {},
    };
    const hits = ['a', 'bbb', 'cc', 'dddd', 'e'].map((id, ord) => ({ id, ord, score: 10 - ord }));
    const { hits: out } = await rerank('q', hits, byLength, (h) => ({ id: h.id, title: '', text: h.id }), {
      topN: 3,
    });
    assert.deepEqual(
      out.map((h) => h.id),
      ['bbb', 'cc', 'a', 'dddd', 'e'],
    );
    assert.deepEqual(out[0]?.stages, { first: 9, rank: 3 });
    assert.deepEqual(out[3]?.stages, { first: 7 });
    for (let i = 1; i < out.length; i++) assert.ok((out[i - 1]?.score ?? 0) > (out[i]?.score ?? 0));
  });

  it('asks the ranker only for what the score cache lacks, and an edited document misses', async () => {
    const asked: string[][] = [];
    const counting: Ranker = {
      id: 'counting',
      score: async (_q, cs) => {
        asked.push(cs.map((c) => c.id));
        return Float32Array.from(cs, (c) => c.text.length);
      },
      release: async () => {},
    };
    const cache = new ScoreCache(100);
    const texts = new Map([
      ['a', 'x'],
      ['b', 'xxx'],
      ['c', 'xx'],
    ]);
    const candidateOf = (h: { id: string }) => ({ id: h.id, title: '', text: texts.get(h.id) ?? '' });
    const hits = ['a', 'b', 'c'].map((id, ord) => ({ id, ord, score: 3 - ord }));
    const first = await rerank('q', hits, counting, candidateOf, { cache });
    assert.deepEqual([first.cached, first.fresh], [0, 3]);
    texts.set('c', 'xxxx');
    const second = await rerank('q', hits, counting, candidateOf, { cache });
    assert.deepEqual(asked, [['a', 'b', 'c'], ['c']]);
    assert.deepEqual([second.cached, second.fresh], [2, 1]);
    assert.deepEqual(
      second.hits.map((h) => h.id),
      ['c', 'b', 'a'],
    );
  });

  it('leaves the candidates a budgeted scorer did not reach unscored and uncached', async () => {
    const cache = new ScoreCache(100);
    const candidates = ['a', 'b', 'c'].map((id) => ({ id, title: '', text: id }));
    const prefix = await scoreThroughCache(cache, 'r', 'q', candidates, async () => [0.5]);
    assert.deepEqual(prefix.scores, [0.5, undefined, undefined]);
    assert.deepEqual([prefix.cached, prefix.missed, prefix.fresh], [0, 3, 1]);
    const again = await scoreThroughCache(cache, 'r', 'q', candidates, async (misses) =>
      misses.map(() => 0.25),
    );
    assert.deepEqual(again.scores, [0.5, 0.25, 0.25]);
    assert.equal(again.cached, 1);
  });
});

describe('decoder yes/no ranker (SmolLM2-135M-Instruct)', { skip: noModel }, () => {
  let shared: DecoderRanker;
  let naive: DecoderRanker;
  before(async () => {
    const model = await loadDecoder(file, { id: 'smollm2-135m-instruct-q4' });
    const template = await readPromptTemplate(promptTemplatePath('relevance-chatml.txt'));
    const common = { template, labels: { yes: 'Yes', no: 'No' }, maxDocumentTokens: 64, batchSize: 3 };
    shared = new DecoderRanker(model, { id: 'shared', ...common });
    naive = new DecoderRanker(model, { id: 'naive', ...common, prefix: 'naive' });
  });
  after(() => shared?.release());

  it('counts the tokens it evaluates per candidate (what a latency budget sizes chunks by)', async () => {
    const query = 'boundary layer heat transfer';
    for (const ranker of [shared, naive]) {
      const counted = ranker.tokensFor(query, candidates);
      const before = ranker.stats.tokens;
      await ranker.score(query, candidates);
      // The shared prefix is evaluated once per call, beside the candidates' own tokens.
      const prefix = ranker === shared ? ranker.prefixTokens(query).length : 0;
      assert.equal(ranker.stats.tokens - before, counted.reduce((a, b) => a + b, 0) + prefix);
    }
    // Whole prompts carry the prefix in every candidate's count.
    const prefix = shared.prefixTokens(query).length;
    assert.deepEqual(
      naive.tokensFor(query, candidates),
      shared.tokensFor(query, candidates).map((n) => n + prefix),
    );
  });

  it('scores with a shared prefix exactly as with whole prompts (|Δp| < 1e-4)', async () => {
    const query = 'boundary layer heat transfer';
    const a = await shared.score(query, candidates);
    const b = await naive.score(query, candidates);
    for (let i = 0; i < candidates.length; i++) {
      assert.ok(Math.abs((a[i] ?? 0) - (b[i] ?? 0)) < 1e-4, `${candidates[i]?.id}: ${a[i]} vs ${b[i]}`);
      assert.ok((a[i] ?? -1) > 0 && (a[i] ?? 2) < 1);
    }
  });

  it('tokenizes prefix and item apart exactly as the whole prompt', () => {
    const tokenizer = shared.model.tokenizer.tokenizer;
    const query = 'what is 2+2?';
    for (const c of candidates.slice(0, 3)) {
      const joined = [...shared.prefixTokens(query), ...shared.itemTokens(c)];
      const text = tokenizer.decode(joined, { skipSpecialTokens: false });
      assert.deepEqual(
        Array.from(tokenizer.encodeBatch([text], { maxLength: 1_000_000 }).ids[0] ?? []),
        joined,
      );
    }
  });

  it('truncates the document to its token budget but always keeps the suffix', () => {
    const ids = shared.itemTokens(candidates[3] as RankCandidate);
    const suffix = shared.itemTokens({ id: 'x', title: '', text: '' });
    assert.equal(ids.length, 64 + suffix.length);
    assert.deepEqual(ids.slice(-suffix.length), suffix);
  });

  it('answers repeated pairs from a score cache without running the model', async () => {
    const cache = new ScoreCache(100);
    const hits = candidates.map((c, ord) => ({ id: c.id, ord, score: -ord }));
    const byId = new Map(candidates.map((c) => [c.id, c]));
    const candidateOf = (h: { id: string }) => byId.get(h.id) as RankCandidate;
    const query = 'boundary layer heat transfer';
    const first = await rerank(query, hits, shared, candidateOf, { cache });
    const before = shared.stats.scored;
    const again = await rerank(query, hits, shared, candidateOf, { cache });
    assert.equal(shared.stats.scored, before);
    assert.deepEqual(
      again.hits.map((h) => [h.id, h.score]),
      first.hits.map((h) => [h.id, h.score]),
    );
    await rerank('a different query', hits.slice(0, 1), shared, candidateOf, { cache });
    assert.equal(shared.stats.scored, before + 1);
  });

  it('refuses answer labels that are not one token', () => {
    assert.throws(
      () =>
        new DecoderRanker(shared.model, {
          id: 'bad',
          template: parsePromptTemplate('{query}\n{document}', 'inline'),
          labels: { yes: 'Absolutely', no: 'No' },
        }),
      (e) => isSiftError(e, 'E_RANKER_LABEL') && /"Absolutely" is 2 tokens/.test(e.message),
    );
  });
});

describe('int8 yes/no ranker', { skip: noModel }, () => {
  it('stays within 0.1 of the float32 probabilities (int8 weights and per-token activations)', async () => {
    const int8 = await openRanker('smollm2-135m-yesno:int8', {
      quiet: true,
      tuning: { maxDocumentTokens: 64 },
    });
    const fp32 = await openRanker('smollm2-135m-yesno', { quiet: true, tuning: { maxDocumentTokens: 64 } });
    try {
      const a = await int8.score('boundary layer heat transfer', candidates);
      const b = await fp32.score('boundary layer heat transfer', candidates);
      for (let i = 0; i < candidates.length; i++)
        assert.ok(Math.abs((a[i] ?? 0) - (b[i] ?? 0)) < 0.1, `${a[i]} vs ${b[i]}`);
    } finally {
      await int8.release();
      await fp32.release();
    }
  });
});

describe('query-likelihood ranker (SmolLM2-135M-Instruct, sequence head)', { skip: noModel }, () => {
  it('refuses a template without {document} before {query}', () => {
    assert.throws(
      () => parseQueryLikelihoodTemplate('Query: {query}\nDocument: {document}', 'ql.txt'),
      (e) => isSiftError(e, 'E_PROMPT_TEMPLATE') && e.message.startsWith('ql.txt: '),
    );
  });

  it('counts the tokens it evaluates per candidate (what a latency budget sizes chunks by)', async () => {
    const ranker = (await openRanker('smollm2-135m-qlik', { quiet: true })) as QueryLikelihoodRanker;
    try {
      const query = 'laminar heat transfer';
      const counted = ranker.tokensFor(query, candidates);
      await ranker.score(query, candidates);
      assert.equal(
        ranker.stats.tokens,
        counted.reduce((a, b) => a + b, 0),
      );
      assert.ok(counted.length === candidates.length && counted.every((n) => n > 0));
    } finally {
      await ranker.release();
    }
  });

  it('scores the mean log p(query | prompt) that next-token logits give, token by token', async () => {
    const ranker = (await openRanker('smollm2-135m-qlik', { quiet: true })) as QueryLikelihoodRanker;
    const nextToken = await loadDecoder(file, { id: 'smollm2-135m-instruct-q4' });
    try {
      const query = 'laminar heat transfer';
      const candidate = candidates[0] as RankCandidate;
      const [score] = await ranker.score(query, [candidate]);
      // The same prompt, scored position by position with full next-token distributions.
      const template = await readQueryLikelihoodTemplate(promptTemplatePath('query-likelihood-chatml.txt'));
      const text = `${template.beforeDocument}${candidate.title}\n${candidate.text}${template.beforeQuery}`;
      const tokenize = (t: string) =>
        Array.from(nextToken.tokenizer.tokenizer.encodeBatch([t], { maxLength: 1_000_000 }).ids[0] ?? []);
      const prompt = tokenize(text);
      const queryIds = tokenize(query);
      const vocab = Array.from({ length: nextToken.config.vocabSize }, (_, i) => i);
      const rows = queryIds.map(() => [...prompt, ...queryIds]);
      const { logits } = await nextToken.prefill({
        rows,
        logitIndex: queryIds.map((_, j) => prompt.length - 1 + j),
        logitIds: vocab,
      });
      let sum = 0;
      queryIds.forEach((id, j) => {
        const row = logits.subarray(j * vocab.length, (j + 1) * vocab.length);
        let top = Number.NEGATIVE_INFINITY;
        for (const v of row) top = Math.max(top, v);
        let z = 0;
        for (const v of row) z += Math.exp(v - top);
        sum += (row[id] ?? 0) - top - Math.log(z);
      });
      assert.ok(
        Math.abs((score ?? 0) - sum / queryIds.length) < 1e-3,
        `${score} vs ${sum / queryIds.length}`,
      );
    } finally {
      await ranker.release();
      await nextToken.release();
    }
  });
});
