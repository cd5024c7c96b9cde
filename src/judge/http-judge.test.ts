// The HTTP judge (chat judge over the OpenAI-compatible HTTP backend) against servers on loopback.
//
// Happy path: sift's own chat server on loopback serving its local model (SmolLM2-135M-Instruct through
// LocalChatBackend), skipped when the model is not in SIFT_HOME.
// Error cases: a DELIBERATELY MISBEHAVING raw HTTP server (timeouts, 429 with Retry-After, 5xx, 400,
// malformed output), which is what these cases need and no real model would do on demand.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { modelFileSkip } from '../../test/lib/model-skip.js';
import { isSiftError } from '../errors.js';
import { openDecoder } from '../models/index.js';
import { siftPaths } from '../util/index.js';
import { createChatJudge } from './chat-judge.js';
import { startChatServer } from './chat-server.js';
import { openHttpChatBackend } from './http-backend.js';
import { LocalChatBackend } from './local-chat-backend.js';
import { loadPolicy } from './policy.js';
import { JudgeFailure } from './types.js';

const policy = await loadPolicy('web-search');
const request = {
  policy,
  query: 'boundary layer heat transfer',
  document: {
    title: 'Heat transfer in a laminar boundary layer',
    text: 'We measure boundary layer heat transfer.',
  },
};

/** A raw server whose behaviour per request number (1-based) is scripted by the test. */
async function misbehavingServer(
  handler: (n: number, body: Record<string, unknown>, res: ServerResponse, req: IncomingMessage) => void,
): Promise<{
  url: string;
  requests: Array<{ at: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}> {
  const requests: Array<{ at: number; body: Record<string, unknown> }> = [];
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = JSON.parse(text || '{}') as Record<string, unknown>;
    requests.push({ at: Date.now(), body });
    handler(requests.length, body, res, req);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function completion(content: string): string {
  return JSON.stringify({
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 100, completion_tokens: 10 },
  });
}

function reply(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

const servers: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const server of servers) await server.close();
});

const localModel = join(siftPaths().models, 'smollm2-135m-instruct-q4');
const noModel = modelFileSkip(localModel, 'smollm2-135m-instruct-q4');

test('the HTTP judge grades through sift chat server serving its local model, with usage, cost and soft label', {
  skip: noModel,
}, async () => {
  const backend = new LocalChatBackend(await openDecoder('smollm2-135m-instruct-q4', { quiet: true }));
  const server = await startChatServer(backend);
  servers.push(server);
  const http = await openHttpChatBackend({ url: server.url });
  assert.equal(http.model, 'smollm2-135m-instruct-q4', 'model discovered from /v1/models');
  const judge = createChatJudge(http, {
    softLabels: true,
    prices: { inputPerMillion: 1, outputPerMillion: 2 },
  });
  assert.equal(judge.id, 'chat:smollm2-135m-instruct-q4');
  const judgement = await judge.judge(request);
  assert.ok(Number.isInteger(judgement.grade) && judgement.grade >= 0 && judgement.grade <= policy.maxGrade);
  assert.equal(typeof judgement.rationale, 'string');
  assert.equal(judgement.attempts, 1, 'constrained decoding never returns an invalid answer');
  assert.ok(judgement.usage.promptTokens > 100 && judgement.usage.completionTokens > 0);
  assert.equal(
    judgement.usage.costUsd,
    (judgement.usage.promptTokens * 1 + judgement.usage.completionTokens * 2) / 1e6,
  );
  const soft = judgement.softLabel ?? [];
  assert.equal(soft.length, policy.maxGrade + 1);
  assert.ok(Math.abs(soft.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  assert.equal(soft.indexOf(Math.max(...soft)), judgement.grade, 'the grade is the most probable level');
  assert.match(judgement.promptHash, /^[0-9a-f]{64}$/);

  // Free-form chat (no schema) through the same server: greedy decoding that stops at <|im_end|>.
  const chat = await http.complete(
    [{ role: 'user', content: 'What is the capital of France? Answer in one sentence.' }],
    {
      maxTokens: 24,
      temperature: 0,
    },
  );
  assert.match(chat.content, /Paris/);
  assert.equal(chat.finishReason, 'stop');
});

test('the request carries the policy, the pair and a JSON schema of valid grades', async () => {
  const server = await misbehavingServer((_n, _body, res) =>
    reply(res, 200, completion('{"grade": 1, "rationale": "r"}')),
  );
  servers.push(server);
  const judge = createChatJudge(await openHttpChatBackend({ url: server.url, model: 'm', apiKey: 'k' }));
  await judge.judge(request);
  const body = server.requests[0]!.body as {
    model: string;
    temperature: number;
    messages: Array<{ role: string; content: string }>;
    response_format: { type: string; json_schema: { schema: { properties: { grade: { enum: number[] } } } } };
  };
  assert.equal(body.model, 'm');
  assert.equal(body.temperature, 0);
  assert.equal(body.messages[0]!.role, 'system');
  assert.ok(body.messages[0]!.content.includes('## Grades'));
  assert.ok(body.messages[1]!.content.includes('Query: boundary layer heat transfer'));
  assert.equal(body.response_format.type, 'json_schema');
  assert.deepEqual(body.response_format.json_schema.schema.properties.grade.enum, [0, 1, 2, 3]);
});

test('MISBEHAVING SERVER: a timeout is retried, and a server that never answers fails as E_JUDGE_TIMEOUT', async () => {
  const server = await misbehavingServer((n, _body, res) => {
    if (n === 1) return; // never answers the first call
    reply(res, 200, completion('{"grade": 2, "rationale": "ok"}'));
  });
  servers.push(server);
  const backend = await openHttpChatBackend({
    url: server.url,
    model: 'm',
    timeoutMs: 200,
    backoffBaseMs: 10,
  });
  const judgement = await createChatJudge(backend).judge(request);
  assert.equal(judgement.grade, 2);
  assert.equal(server.requests.length, 2);

  const silent = await misbehavingServer(() => {});
  servers.push(silent);
  const never = await openHttpChatBackend({
    url: silent.url,
    model: 'm',
    timeoutMs: 100,
    maxAttempts: 3,
    backoffBaseMs: 10,
  });
  await assert.rejects(createChatJudge(never).judge(request), (error: unknown) => {
    assert.ok(error instanceof JudgeFailure);
    assert.equal(error.code, 'E_JUDGE_TIMEOUT');
    assert.equal(error.attempts, 3);
    return true;
  });
  assert.equal(silent.requests.length, 3);
});

test('MISBEHAVING SERVER: 429 with Retry-After is waited out (not the much longer backoff), then succeeds', async () => {
  const server = await misbehavingServer((n, _body, res) => {
    if (n === 1) return reply(res, 429, '{"error": {"message": "slow down"}}', { 'retry-after': '1' });
    reply(res, 200, completion('{"grade": 0, "rationale": "off topic"}'));
  });
  servers.push(server);
  // A backoff of 10 minutes: the test would time out if Retry-After were not what set the wait.
  const backend = await openHttpChatBackend({
    url: server.url,
    model: 'm',
    backoffBaseMs: 600_000,
    backoffMaxMs: 600_000,
    random: () => 1,
  });
  const judgement = await createChatJudge(backend).judge(request);
  assert.equal(judgement.grade, 0);
  assert.equal(server.requests.length, 2);
  assert.ok(server.requests[1]!.at - server.requests[0]!.at >= 950, 'the retry came after Retry-After');
});

test('MISBEHAVING SERVER: a Retry-After beyond the limit fails at once; 400 is not retried; 5xx is', async () => {
  const busy = await misbehavingServer((_n, _body, res) => reply(res, 503, '{}', { 'retry-after': '3600' }));
  servers.push(busy);
  const backend = await openHttpChatBackend({ url: busy.url, model: 'm', maxRetryAfterMs: 5_000 });
  await assert.rejects(createChatJudge(backend).judge(request), (error: unknown) => {
    assert.ok(isSiftError(error, 'E_JUDGE_HTTP'));
    assert.match(error.message, /503.*beyond the limit/);
    return true;
  });
  assert.equal(busy.requests.length, 1);

  const bad = await misbehavingServer((_n, _body, res) =>
    reply(res, 400, '{"error": {"message": "bad schema"}}'),
  );
  servers.push(bad);
  await assert.rejects(
    createChatJudge(await openHttpChatBackend({ url: bad.url, model: 'm' })).judge(request),
    (error: unknown) => {
      assert.ok(error instanceof JudgeFailure && error.code === 'E_JUDGE_HTTP' && error.attempts === 1);
      assert.match(error.message, /HTTP 400: bad schema/);
      return true;
    },
  );

  const flaky = await misbehavingServer((n, _body, res) =>
    n < 3 ? reply(res, 502, 'bad gateway') : reply(res, 200, completion('{"grade": 3, "rationale": "x"}')),
  );
  servers.push(flaky);
  const judge = createChatJudge(await openHttpChatBackend({ url: flaky.url, model: 'm', backoffBaseMs: 5 }));
  assert.equal((await judge.judge(request)).grade, 3);
  assert.equal(flaky.requests.length, 3);
});

test('MISBEHAVING SERVER: malformed and out-of-range answers are retried, then recorded as E_JUDGE_OUTPUT', async () => {
  const answers = [
    'I think it is relevant',
    '{"grade": 9, "rationale": "too high"}',
    '```json\n{"grade": 2, "rationale": "ok"}\n```',
  ];
  const server = await misbehavingServer((n, _body, res) =>
    reply(res, 200, completion(answers[n - 1] ?? 'nonsense')),
  );
  servers.push(server);
  const judge = createChatJudge(await openHttpChatBackend({ url: server.url, model: 'm' }), {
    prices: { inputPerMillion: 1, outputPerMillion: 1 },
  });
  const judgement = await judge.judge(request);
  assert.equal(judgement.grade, 2);
  assert.equal(judgement.attempts, 3);
  assert.equal(judgement.usage.promptTokens, 300, 'tokens of the invalid attempts are counted too');
  // The retries sample (a greedy decoder would repeat its garbage).
  assert.equal(server.requests[0]!.body['temperature'], 0);
  assert.ok((server.requests[1]!.body['temperature'] as number) > 0);

  const garbage = await misbehavingServer((_n, _body, res) =>
    reply(res, 200, completion('{"grade": "high"}')),
  );
  servers.push(garbage);
  const failing = createChatJudge(await openHttpChatBackend({ url: garbage.url, model: 'm' }), {
    outputAttempts: 2,
  });
  await assert.rejects(failing.judge(request), (error: unknown) => {
    assert.ok(error instanceof JudgeFailure);
    assert.equal(error.code, 'E_JUDGE_OUTPUT');
    assert.equal(error.attempts, 2);
    assert.equal(error.usage.promptTokens, 200);
    return true;
  });
  assert.equal(garbage.requests.length, 2);
});

test('aborting a judgement stops waiting at once', async () => {
  const silent = await misbehavingServer(() => {});
  servers.push(silent);
  const judge = createChatJudge(
    await openHttpChatBackend({ url: silent.url, model: 'm', timeoutMs: 60_000 }),
  );
  const controller = new AbortController();
  const pending = judge.judge(request, controller.signal);
  setTimeout(() => controller.abort(new Error('stop')), 50);
  await assert.rejects(pending, /stop/);
});

test('a judge address that is not an http(s) URL is E_BAD_URL', async () => {
  for (const url of ['not a url', 'ftp://127.0.0.1/v1']) {
    await assert.rejects(
      openHttpChatBackend({ url, model: 'm' }),
      (e) => isSiftError(e, 'E_BAD_URL') && e.context.field === 'judge',
      url,
    );
  }
});
