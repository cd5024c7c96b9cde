// The chat model a command asks to write text (summaries, synthetic queries): an OpenAI-compatible
// endpoint at a URL, or a registry decoder sift runs itself.

import { type ChatBackend, LocalChatBackend, openHttpChatBackend } from '../judge/index.js';
import { openDecoder } from '../models/index.js';

export async function openChatModel(
  target: { url?: string; model?: string },
  defaultDecoder: string,
  quiet: boolean,
): Promise<ChatBackend> {
  if (target.url)
    return openHttpChatBackend({ url: target.url, ...(target.model ? { model: target.model } : {}) });
  return new LocalChatBackend(await openDecoder(target.model ?? defaultDecoder, { quiet }));
}
