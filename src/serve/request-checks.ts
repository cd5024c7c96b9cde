// Checks that answer a request before its body is read: the API key (401 whatever the body), the body's
// content type (415) and the method a path allows (405). Each runs as an onRequest hook or from the
// not-found handler, so a refusal never pays for parsing.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SiftError } from '../errors.js';

/** An onRequest hook refusing requests without the key (E_UNAUTHORIZED); undefined key refuses all. */
export function keyCheck(apiKey: string | undefined): (request: FastifyRequest) => Promise<void> {
  const expected = apiKey ? digest(apiKey) : undefined;
  return async (request) => {
    if (!expected) {
      throw new SiftError('E_UNAUTHORIZED', 'writes are disabled: start the service with SIFT_API_KEY set');
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!.trim()), expected)) {
      throw new SiftError('E_UNAUTHORIZED', 'send the key in SIFT_API_KEY as "Authorization: Bearer <key>"');
    }
  };
}

/** An onRequest hook for routes with a JSON body: a missing or other content type is 415. */
export async function jsonBodyCheck(request: FastifyRequest): Promise<void> {
  const type = request.headers['content-type'];
  const mediaType = type?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new SiftError(
      'E_UNSUPPORTED_MEDIA_TYPE',
      type === undefined
        ? 'the request has no Content-Type; send the body as application/json'
        : `Content-Type "${type}" is not accepted; send the body as application/json`,
      { field: 'content-type' },
    );
  }
}

/**
 * The methods each route path allows, gathered as routes are registered, so that a request whose path
 * exists under another method is answered 405 with Allow instead of 404.
 */
export class RouteMethods {
  private readonly routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];

  /** Registers the onRoute hook; call before any route is added. */
  attach(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const source = route.url
        .split('/')
        .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      const pattern = new RegExp(`^${source}$`);
      let entry = this.routes.find((r) => r.pattern.source === pattern.source);
      if (!entry) {
        entry = { pattern, methods: new Set() };
        this.routes.push(entry);
      }
      for (const method of methods) entry.methods.add(method.toUpperCase());
    });
  }

  /** The methods `path` allows (empty when no route has that path). */
  allowed(url: string): string[] {
    const path = url.split('?')[0] ?? url;
    const entry = this.routes.find((r) => r.pattern.test(path));
    return entry ? [...entry.methods].sort() : [];
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
