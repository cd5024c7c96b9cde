// An OpenAI-compatible chat server (`POST /v1/chat/completions`, `GET /v1/models`) over any ChatBackend,
// so sift's local model can serve other tools, and sift's HTTP judge can be tested against a real server
// on loopback. Non-streaming only; errors use OpenAI's `{"error": {"message", "type", "code"}}` shape.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatBackend, ChatMessage, CompletionOptions } from './types.js';

export interface ChatServerOptions {
  /** Default 127.0.0.1: the server has no authentication, so it listens on loopback unless told. */
  host?: string;
  /** Default 0: any free port (read it from `url`). */
  port?: number;
  /** Largest request body accepted, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Default max_tokens when a request gives none. Default 512. */
  defaultMaxTokens?: number;
}

export interface ChatServer {
  /** The API base clients use, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  close(): Promise<void>;
}

export async function startChatServer(
  backend: ChatBackend,
  options: ChatServerOptions = {},
): Promise<ChatServer> {
  const server = createServer((request, response) => {
    handle(backend, options, request, response).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!response.headersSent) sendError(response, 500, 'server_error', message);
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}/v1`, close: () => closeServer(server) };
}

async function handle(
  backend: ChatBackend,
  options: ChatServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
  if (path === '/v1/models' || path === '/models') {
    if (request.method !== 'GET') return sendError(response, 405, 'invalid_request_error', 'use GET');
    return sendJson(response, 200, {
      object: 'list',
      data: [{ id: backend.model, object: 'model', created: 0, owned_by: 'sift' }],
    });
  }
  if (path !== '/v1/chat/completions' && path !== '/chat/completions') {
    return sendError(response, 404, 'invalid_request_error', `no route ${request.method} ${path}`);
  }
  if (request.method !== 'POST') return sendError(response, 405, 'invalid_request_error', 'use POST');

  const body = await readBody(request, options.maxBodyBytes ?? 1 << 20);
  if (body === undefined) return sendError(response, 413, 'invalid_request_error', 'request body too large');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return sendError(response, 400, 'invalid_request_error', 'request body is not valid JSON');
  }
  const read = readChatRequest(parsed, options.defaultMaxTokens ?? 512);
  if (typeof read === 'string') return sendError(response, 400, 'invalid_request_error', read);
  if (read.model !== undefined && read.model !== backend.model) {
    return sendError(
      response,
      404,
      'model_not_found',
      `model "${read.model}" is not served here (${backend.model} is)`,
    );
  }

  // A client that hangs up (its timeout) cancels the work it asked for.
  const abort = new AbortController();
  response.on('close', () => {
    if (!response.writableFinished) abort.abort(new Error('client closed the connection'));
  });
  const completion = await backend.complete(read.messages, read.options, abort.signal);
  const logprobs =
    read.options.topLogprobs && completion.logprobs
      ? {
          content: completion.logprobs.map((token) => ({
            token: token.token,
            logprob: token.logprob,
            top_logprobs: token.top.map((alt) => ({ token: alt.token, logprob: alt.logprob })),
          })),
        }
      : null;
  sendJson(response, 200, {
    id: `chatcmpl-${randomBytes(12).toString('hex')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: backend.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: completion.content },
        logprobs,
        finish_reason: completion.finishReason ?? 'stop',
      },
    ],
    usage: {
      prompt_tokens: completion.usage.prompt_tokens,
      completion_tokens: completion.usage.completion_tokens,
      total_tokens: completion.usage.prompt_tokens + completion.usage.completion_tokens,
    },
  });
}

interface ChatRequest {
  model?: string;
  messages: ChatMessage[];
  options: CompletionOptions;
}

/** Validates the parts of an OpenAI chat request that sift honours; a string is the 400 message. */
function readChatRequest(value: unknown, defaultMaxTokens: number): ChatRequest | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return 'body must be a JSON object';
  const body = value as Record<string, unknown>;
  if (body['stream'] === true) return 'streaming is not supported; send "stream": false';
  if (body['model'] !== undefined && typeof body['model'] !== 'string') return '"model" must be a string';
  const rawMessages = body['messages'];
  if (!Array.isArray(rawMessages) || rawMessages.length === 0) return '"messages" must be a non-empty array';
  const messages: ChatMessage[] = [];
  for (const [i, raw] of rawMessages.entries()) {
    const message = raw as Record<string, unknown> | null;
    const role = message?.['role'];
    if (role !== 'system' && role !== 'user' && role !== 'assistant') {
      return `messages[${i}].role must be system, user or assistant`;
    }
    const content = message?.['content'];
    if (typeof content !== 'string') return `messages[${i}].content must be a string`;
    messages.push({ role, content });
  }
  const maxTokens = body['max_completion_tokens'] ?? body['max_tokens'] ?? defaultMaxTokens;
  if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1)
    return '"max_tokens" must be a positive integer';
  const temperature = body['temperature'] ?? 1;
  if (typeof temperature !== 'number' || temperature < 0 || temperature > 2)
    return '"temperature" must be in [0, 2]';
  const options: CompletionOptions = { maxTokens: maxTokens as number, temperature };
  const format = body['response_format'] as Record<string, unknown> | undefined;
  if (format !== undefined && format !== null) {
    if (format['type'] === 'json_schema') {
      const spec = format['json_schema'] as Record<string, unknown> | undefined;
      const schema = spec?.['schema'];
      if (schema === null || typeof schema !== 'object')
        return 'response_format.json_schema.schema must be an object';
      options.jsonSchema = {
        name: typeof spec?.['name'] === 'string' ? spec['name'] : 'response',
        schema: schema as Record<string, unknown>,
      };
    } else if (format['type'] !== 'text' && format['type'] !== 'json_object') {
      return 'response_format.type must be text, json_object or json_schema';
    }
  }
  if (body['logprobs'] === true) {
    const top = body['top_logprobs'] ?? 0;
    if (!Number.isInteger(top) || (top as number) < 0 || (top as number) > 20)
      return '"top_logprobs" must be 0..20';
    options.topLogprobs = Math.max(1, top as number);
  }
  return { ...(typeof body['model'] === 'string' ? { model: body['model'] } : {}), messages, options };
}

async function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  sendJson(response, status, {
    error: { message, type, code: status === 404 && type === 'model_not_found' ? type : null },
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
