// Runs the ChatBackend contract against every backend cheap to build here: the scripted stand-in (test
// only), the HTTP backend talking to sift's chat server (serving the scripted stand-in; unreachable when
// every call answers 503), and the local backend on SmolLM2-135M-Instruct from SIFT_HOME.

import type { ChatBackend, ChatServer } from '../../src/judge/index.js';
import { LocalChatBackend, openHttpChatBackend, startChatServer } from '../../src/judge/index.js';
import { openDecoder } from '../../src/models/index.js';
import { modelSkip } from '../lib/model-skip.js';
import { createScriptedBackend } from '../lib/scripted-backend.js';
import { chatBackendContract } from './chat-backend-contract.js';

chatBackendContract('scripted (test stand-in)', async () => createScriptedBackend());

chatBackendContract(
  'http → sift chat server',
  async () => {
    const server: ChatServer = await startChatServer(createScriptedBackend());
    const backend = await openHttpChatBackend({ url: server.url });
    return {
      model: backend.model,
      complete: (messages, options, signal) => backend.complete(messages, options, signal),
      close: async () => {
        await backend.close?.();
        await server.close();
      },
    } satisfies ChatBackend;
  },
  {
    openUnreachable: () =>
      openHttpChatBackend({
        url: 'http://127.0.0.1:9/v1',
        model: 'm',
        maxAttempts: 2,
        backoffBaseMs: 1,
        backoffMaxMs: 2,
        fetch: async () => new Response('overloaded', { status: 503 }),
      }),
  },
);

const smollm = 'smollm2-135m-instruct-q4';
chatBackendContract(
  `local (${smollm})`,
  async () => {
    const decoder = await openDecoder(smollm, { quiet: true });
    const backend = new LocalChatBackend(decoder);
    return {
      model: backend.model,
      complete: (messages, options, signal) => backend.complete(messages, options, signal),
      close: () => decoder.release(),
    } satisfies ChatBackend;
  },
  { skip: modelSkip(smollm) },
);
