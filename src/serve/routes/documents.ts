// The write routes: add or replace documents, delete one; each needs the API key and is answered once its
// generation is committed to disk.

import { ERROR_REPLIES, type RouteContext } from '../app-context.js';
import { jsonBodyCheck } from '../request-checks.js';
import { DocumentParams, DocumentsBody, ErrorReply, WriteReply } from '../schemas.js';

export function registerDocumentRoutes(context: RouteContext): void {
  const { app, service, requireKey } = context;
  app.post<{ Body: DocumentsBody }>(
    '/v1/documents',
    {
      onRequest: [requireKey, jsonBodyCheck],
      schema: {
        summary: 'add or replace documents; answered once committed to disk',
        security: [{ apiKey: [] }],
        body: DocumentsBody,
        response: { 200: WriteReply, 401: ErrorReply, ...ERROR_REPLIES },
      },
    },
    async (request) => {
      context.checkIndex(request.body.index);
      return service.upsert(request.body);
    },
  );

  app.delete<{ Params: DocumentParams }>(
    '/v1/documents/:id',
    {
      onRequest: requireKey,
      schema: {
        summary: 'delete a document; answered once committed to disk',
        security: [{ apiKey: [] }],
        params: DocumentParams,
        response: { 200: WriteReply, 401: ErrorReply, ...ERROR_REPLIES },
      },
    },
    async (request) => service.delete(request.params.id),
  );
}
