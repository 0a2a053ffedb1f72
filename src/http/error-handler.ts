/**
 * Every error leaves as `{"error": {"code", "message", "details"?}}` with its status. Body-parser
 * failures become 400 malformed_json and 413 payload_too_large, an undecodable path 400
 * malformed_path, other client errors keep their 4xx, an unreachable MongoDB or Temporal 503
 * service_unavailable; anything unexpected is a 500 whose
 * message says nothing about internals (the log has the detail).
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ErrorCodes, HeraldError, notFound, unavailable } from '../errors';
import type { Logger } from '../logger';
import { malformedPath } from './request-limits';

export function notFoundHandler(): RequestHandler {
  return (_req, _res, next) => next(notFound('Route'));
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const e = toHeraldError(err);
    if (e.status >= 500) logger.error({ err, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) return;
    if (e.retryAfterSeconds !== undefined) res.set('retry-after', String(e.retryAfterSeconds));
    res.status(e.status).json({ error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } });
  };
}

export function toHeraldError(err: unknown): HeraldError {
  if (err instanceof HeraldError) return err;
  const e = err as { type?: string; status?: number; message?: string; limit?: number };
  if (e?.type === 'entity.too.large') {
    return new HeraldError(413, ErrorCodes.payloadTooLarge, `Request body is larger than ${e.limit} bytes`);
  }
  if (e?.type === 'entity.parse.failed') {
    return new HeraldError(400, ErrorCodes.malformedJson, `Malformed JSON: ${e.message}`);
  }
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new HeraldError(415, 'unsupported_encoding', e.message ?? 'Unsupported encoding');
  }
  // MongoDB or Temporal unreachable (an embedded service being restarted, a failover): the
  // request may well succeed in a moment, so a 503 the caller can retry, not a 500.
  if (isUnavailable(err)) return unavailable('A backing service (MongoDB or Temporal) is unavailable; try again shortly');
  // Express decodes route parameters with decodeURIComponent: a malformed escape is a URIError
  // (rejectMalformedPath catches it earlier; this keeps it a 400 should a route be mounted before it).
  if (err instanceof URIError || (e as { name?: string })?.name === 'URIError') return malformedPath();
  // Any other client error raised by Express or a body parser (http-errors, `expose` for 4xx):
  // its own status and message, never a 500.
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && (e as { expose?: boolean }).expose !== false) {
    return new HeraldError(e.status, ErrorCodes.badRequest, e.message ?? 'Bad request');
  }
  return new HeraldError(500, ErrorCodes.internal, 'Internal error');
}

const MONGO_UNAVAILABLE = /^Mongo(ose)?(ServerSelection|Network|NetworkTimeout|NotConnected|TopologyClosed)Error$/;
/** gRPC status codes of an unreachable server: DEADLINE_EXCEEDED, UNAVAILABLE. */
const GRPC_UNAVAILABLE = new Set([4, 14]);

function isUnavailable(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: unknown; cause?: { code?: unknown } } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.name === 'string' && MONGO_UNAVAILABLE.test(e.name)) return true;
  // mongoose queues operations while disconnected and gives up after bufferTimeoutMS.
  if (typeof e.message === 'string' && /buffering timed out after/.test(e.message)) return true;
  // @temporalio/client's ServiceError wraps the gRPC error as its cause.
  if (e.name === 'ServiceError' && GRPC_UNAVAILABLE.has(e.cause?.code as number)) return true;
  return false;
}
