// The one table from error codes to HTTP statuses, and the JSON error body every failure gets:
// {"error": {"code", "message"}}. Load shedding (429, 503) always carries Retry-After.

import type { ErrorCode } from '../errors.js';
import { SiftError } from '../errors.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  E_BAD_REQUEST: 400,
  E_BAD_ARGUMENT: 400,
  E_BAD_FILTER: 400,
  E_FILTER_FIELD_UNKNOWN: 400,
  E_MODE_UNAVAILABLE: 400,
  E_VECTOR_DIMENSION: 400,
  E_MODEL_KIND: 400,
  E_MODEL_VARIANT: 400,
  E_BAD_URL: 400,
  E_UNAUTHORIZED: 401,
  E_NOT_FOUND: 404,
  E_METHOD_NOT_ALLOWED: 405,
  E_INDEX_NOT_FOUND: 404,
  E_RANKER_UNKNOWN: 404,
  // A ranker sift trains itself (`sift train --preset …`) that this machine has not trained: unknown here.
  E_MODEL_NOT_TRAINED: 404,
  E_UNKNOWN_DOC: 404,
  E_MODEL_UNKNOWN: 404,
  E_PAYLOAD_TOO_LARGE: 413,
  E_UNSUPPORTED_MEDIA_TYPE: 415,
  E_TOO_MANY_REQUESTS: 429,
  // Nginx's "client closed request": never reaches the client, but keeps cancellations apart in metrics.
  E_CANCELLED: 499,
  E_OVERLOADED: 503,
  E_TIMEOUT: 503,
  E_SHUTTING_DOWN: 503,
  E_MODEL_MISSING: 503,
  // A remote backend that is down or failing is a dependency outage, not a bug of the request.
  E_BACKEND_UNREACHABLE: 502,
  E_BACKEND_REQUEST: 502,
  E_RANKER_NOT_READY: 503,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

/** Statuses that tell the client to come back later. */
export function wantsRetryAfter(status: number): boolean {
  return status === 429 || status === 503;
}

export interface ErrorBody {
  error: { code: string; message: string };
}

/** A failure as sift sees it: our own errors keep their code; fastify's own become ours by status. */
export function toSiftError(error: unknown): SiftError {
  if (error instanceof SiftError) return error;
  const fastifyError = error as {
    statusCode?: number;
    code?: string;
    message?: string;
    validation?: unknown;
  };
  const message = fastifyError.message ?? String(error);
  if (fastifyError.validation !== undefined) return new SiftError('E_BAD_REQUEST', message);
  switch (fastifyError.statusCode) {
    case 400:
      return new SiftError('E_BAD_REQUEST', message, { fastifyCode: fastifyError.code });
    case 415:
      return new SiftError('E_UNSUPPORTED_MEDIA_TYPE', `${message}; send the body as application/json`, {
        fastifyCode: fastifyError.code,
      });
    case 404:
      return new SiftError('E_NOT_FOUND', message);
    case 413:
      return new SiftError('E_PAYLOAD_TOO_LARGE', message);
    default:
      return new SiftError('E_INTERNAL', message);
  }
}

export function errorBody(error: SiftError): ErrorBody {
  return { error: { code: error.code, message: error.message } };
}
