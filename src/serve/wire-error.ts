// Errors as they cross a worker-thread boundary: structured clone drops a SiftError's class, so its
// code, message and context travel as plain data and are rebuilt on the other side.

import { type ErrorCode, errorCatalogue, SiftError } from '../errors.js';

export interface WireError {
  code: ErrorCode;
  message: string;
  context: Record<string, unknown>;
}

export function toWireError(error: unknown): WireError {
  if (error instanceof SiftError) {
    // Only plain values survive structured cloning; the rest of the context is dropped.
    const context: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(error.context)) {
      if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) context[key] = value;
    }
    return { code: error.code, message: error.message, context };
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { code: 'E_INTERNAL', message, context: {} };
}

export function fromWireError(wire: WireError): SiftError {
  const code = wire.code in errorCatalogue ? wire.code : 'E_INTERNAL';
  // The message already names the file and line and ends with the code: keep it as the detail, without
  // repeating either.
  const suffix = ` [${code}]`;
  const detail = wire.message.endsWith(suffix) ? wire.message.slice(0, -suffix.length) : wire.message;
  const { file: _file, line: _line, ...context } = wire.context;
  return new SiftError(code, detail, {
    ...context,
    ...(wire.context.file ? { source: wire.context.file } : {}),
  });
}
