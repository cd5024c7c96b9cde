// sift's OpenAI-compatible chat server, over a SCRIPTED BACKEND (test/lib/scripted-backend.ts).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createScriptedBackend } from '../../test/lib/scripted-backend.js';
import { type ChatServer, startChatServer } from './chat-server.js';

let server: ChatServer;
before(async () => {
  server = await startChatServer(createScriptedBackend(), { maxBodyBytes: 10_000 });
});
after(async () => {
  await server.close();
});

async function post(body: unknown, raw?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ?? JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const messages = [
  { role: 'system', content: 'Grade.' },
  { role: 'user', content: 'Query: jet engines\n\nDocument text: jet engines explained' },
];

test('GET /v1/models lists the backend model', async () => {
  const response = await fetch(`${server.url}/models`);
  assert.equal(response.status, 200);
  assert.deepEqual(
    ((await response.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id),
    ['scripted-overlap'],
  );
});

test('POST /v1/chat/completions answers in the OpenAI shape, with usage and requested logprobs', async () => {
  const { status, json } = await post({
    model: 'scripted-overlap',
    messages,
    max_tokens: 50,
    temperature: 0,
    logprobs: true,
    top_logprobs: 5,
    response_format: { type: 'json_schema', json_schema: { name: 'g', schema: { type: 'object' } } },
  });
  assert.equal(status, 200);
  assert.equal(json['object'], 'chat.completion');
  const choice = (
    json['choices'] as Array<{ message: { role: string; content: string }; logprobs: { content: unknown[] } }>
  )[0]!;
  assert.equal(choice.message.role, 'assistant');
  assert.equal((JSON.parse(choice.message.content) as { grade: number }).grade, 3);
  assert.ok(choice.logprobs.content.length > 0);
  const usage = json['usage'] as { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
});

test('bad requests get OpenAI-style errors with the right status', async () => {
  assert.equal((await post(undefined, '{not json')).status, 400);
  assert.equal((await post({ messages: [] })).status, 400);
  assert.equal((await post({ messages: [{ role: 'robot', content: 'x' }] })).status, 400);
  assert.equal((await post({ messages, stream: true })).status, 400);
  assert.equal((await post({ messages, temperature: 5 })).status, 400);
  const unknown = await post({ model: 'gpt-9', messages });
  assert.equal(unknown.status, 404);
  assert.match((unknown.json['error'] as { message: string }).message, /gpt-9/);
  assert.equal((await post({ messages: [{ role: 'user', content: 'x'.repeat(20_000) }] })).status, 413);
  assert.equal((await fetch(`${server.url}/nothing`)).status, 404);
});
