// The web page (HTML, script, style, served as they are) and the OpenAPI document.

import type { RouteContext } from '../app-context.js';

export function registerWebRoutes({ app, page }: RouteContext): void {
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page.html),
  );
  app.get('/app.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(page.script),
  );
  app.get('/style.css', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(page.style),
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
