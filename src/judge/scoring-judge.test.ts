// The scoring judge on llama.cpp with a real instruct model (Qwen2.5-Coder-0.5B-Instruct, the smallest
// of the pinned qwen2 models, so the test stays quick): soft labels that sum to one, the document side
// cut to fit the context (and said so), a clear error for a damaged GGUF file.

import assert from 'node:assert/strict';
import { mkdtemp, open as openFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { modelSkip } from '../../test/lib/model-skip.js';
import { LlamaScorer } from '../runtime/index.js';
import { siftPaths } from '../util/index.js';
import { loadPolicy } from './policy.js';
import { createScoringJudge } from './scoring-judge.js';
import { scoringPromptHash, scoringSystemTurn } from './scoring-prompts.js';

const MODEL = 'qwen2.5-coder-0.5b-instruct-q4';
const skip = modelSkip(MODEL);
const gguf = join(siftPaths().models, MODEL, 'qwen2.5-coder-0.5b-instruct-q4_k_m.gguf');

test('every form is read for a pair, and the grade is the most likely valid digit', { skip }, async () => {
  const policy = await loadPolicy('web-search');
  const judge = createScoringJudge(await LlamaScorer.open(gguf, { contextSize: 2048, threads: 1 }), {
    id: `llama:${MODEL}`,
  });
  try {
    const request = {
      policy,
      query: 'hugh downs',
      document: {
        title: 'Hugh Downs',
        text: 'Hugh Malcolm Downs was an American broadcaster and television host.',
      },
    };
    const first = await judge.judge(request);
    assert.equal(first.softLabel?.length, policy.maxGrade + 1);
    assert.ok(Math.abs(first.softLabel!.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    assert.equal(first.grade, first.softLabel!.indexOf(Math.max(...first.softLabel!)));
    assert.ok(first.scores?.pYes !== undefined && first.scores.pYes >= 0 && first.scores.pYes <= 1);
    assert.ok(first.scores?.queryLogLikelihood !== undefined && first.scores.queryLogLikelihood < 0);
    assert.ok((first.scores?.answerMass ?? 0) > 0.5, 'the answer form holds most of the probability');
    // The policy prefix is evaluated once: the second pair pays only for itself, and scores repeat.
    const second = await judge.judge(request);
    assert.ok(second.usage.promptTokens < first.usage.promptTokens);
    assert.deepEqual(second.softLabel, first.softLabel);
  } finally {
    await judge.close();
  }
});

test('with a reason first, the judge writes one sentence, then reads the grade after it', {
  skip,
}, async () => {
  const policy = await loadPolicy('web-search');
  const scorer = await LlamaScorer.open(gguf, { contextSize: 2048, threads: 1 });
  const judge = createScoringJudge(scorer, {
    id: `llama:${MODEL}`,
    forms: ['grade'],
    prompt: { rationaleTokens: 24 },
  });
  try {
    const judgement = await judge.judge({
      policy,
      query: 'hugh downs',
      document: { title: 'Hugh Downs', text: 'Hugh Malcolm Downs was an American broadcaster.' },
    });
    assert.ok(judgement.rationale !== undefined && judgement.rationale.length > 0, 'a reason was written');
    assert.ok(!/["\n]/.test(judgement.rationale), 'the reason stops at its closing quote or line end');
    const generated = judgement.usage.completionTokens;
    assert.ok(generated > 0 && generated <= 24, `generated ${generated} tokens within the budget`);
    assert.equal(judgement.grade, judgement.softLabel!.indexOf(Math.max(...judgement.softLabel!)));
    assert.ok((judgement.scores?.answerMass ?? 0) > 0.5, 'the grade digit follows the reason');
    assert.equal(judgement.scores?.pYes, undefined, 'only the asked forms are read');
    // The reason is part of the prompt's identity, and the sequence is back at the policy prefix.
    assert.notEqual(judgement.promptHash, scoringPromptHash(policy, ['grade']));
    assert.equal(scorer.length, scorer.tokenize(scoringSystemTurn(policy)).length);
  } finally {
    await judge.close();
  }
});

test('a document longer than the context is cut on the document side, and the judge says so', {
  skip,
}, async () => {
  const policy = await loadPolicy('web-search');
  const cut: number[] = [];
  const judge = createScoringJudge(await LlamaScorer.open(gguf, { contextSize: 1024, threads: 1 }), {
    id: `llama:${MODEL}`,
    prompt: { maxDocChars: 100_000 },
    onTruncated: (_request, kept) => cut.push(kept),
  });
  try {
    const text = 'Aeroelastic flutter of heated wings at high speed. '.repeat(400);
    const judgement = await judge.judge({ policy, query: 'flutter', document: { title: 'Flutter', text } });
    assert.equal(cut.length, 1);
    assert.ok((cut[0] as number) < 1024);
    assert.ok(judgement.grade >= 0 && judgement.grade <= policy.maxGrade);
  } finally {
    await judge.close();
  }
});

test('a truncated GGUF file is refused naming the file', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sift-gguf-'));
  const damaged = join(dir, 'damaged.gguf');
  const source = await openFile(gguf, 'r');
  const target = await openFile(damaged, 'w');
  try {
    const buffer = Buffer.alloc(8 << 20);
    await source.read(buffer, 0, buffer.length, 0);
    await target.write(buffer);
  } finally {
    await source.close();
    await target.close();
  }
  await assert.rejects(LlamaScorer.open(damaged), (error: unknown) => {
    const e = error as { code?: string; message?: string };
    return e.code === 'E_MODEL_LOAD' && (e.message ?? '').includes(damaged);
  });
});
