/**
 * One errors module with stable codes (the undici/fastify way): callers match on `code`,
 * never on message text. The API turns every HeraldError into
 * `{"error": {"code", "message", "details"?}}` with its HTTP status.
 */

/** One bad field: `path` is dotted (`retry.maxAttempts`, `headers.X-Foo`), `message` names the rule. */
export interface ValidationIssue {
  path: string;
  message: string;
}

export class HeraldError extends Error {
  override readonly name = 'HeraldError';
  /** Sent as `Retry-After` (429, 503). */
  retryAfterSeconds?: number;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ValidationIssue[],
  ) {
    super(message);
  }
}

export const ErrorCodes = {
  validation: 'validation_error',
  malformedJson: 'malformed_json',
  payloadTooLarge: 'payload_too_large',
  unauthorized: 'unauthorized',
  accessDenied: 'access_denied',
  notFound: 'not_found',
  conflict: 'conflict',
  unavailable: 'service_unavailable',
  internal: 'internal_error',
  /** A path with a malformed percent-escape (`/v1/webhooks/%`): it cannot be decoded. */
  malformedPath: 'malformed_path',
  /** An account key on an admin-only route (`/v1/accounts*`). */
  forbidden: 'forbidden',
  /** Too many events for the account's `eventsPerSecond`; `Retry-After` says when to try again. */
  rateLimited: 'rate_limited',
  /** A request that Express or a body parser refused as bad (4xx) for a reason we do not map more precisely. */
  badRequest: 'bad_request',
  /** A JSON body nested deeper than MAX_JSON_DEPTH. */
  nestingTooDeep: 'nesting_too_deep',
  /** A stream cursor committed to a subscription (or partition, or offset) it was not given for. */
  invalidCursor: 'invalid_cursor',
  /**
   * A stream cursor committed by a stream that does not read its partition (any more): the partition
   * moved to another stream of the subscription, which reads it again from the committed cursor.
   */
  partitionNotOwned: 'partition_not_owned',
  /** A rendered request (URL, headers, body) larger than MAX_RENDERED_REQUEST_BYTES: it could never be stored or sent. */
  renderedTooLarge: 'rendered_request_too_large',
} as const;

export function validationError(details: ValidationIssue[], message = 'Request validation failed'): HeraldError {
  return new HeraldError(400, ErrorCodes.validation, message, details);
}

export function notFound(what: string): HeraldError {
  return new HeraldError(404, ErrorCodes.notFound, `${what} not found`);
}

export function unauthorized(): HeraldError {
  return new HeraldError(401, ErrorCodes.unauthorized, 'A valid API key is required: Authorization: Bearer <key>');
}

export function accessDenied(): HeraldError {
  return new HeraldError(401, ErrorCodes.accessDenied, 'Access denied');
}

export function forbidden(message: string): HeraldError {
  return new HeraldError(403, ErrorCodes.forbidden, message);
}

export function unavailable(message: string): HeraldError {
  return new HeraldError(503, ErrorCodes.unavailable, message);
}

/** Turns zod-style issues (`path` as an array) into our `details` shape. */
export function issuesFromZod(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): ValidationIssue[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/**
 * Thrown by `assertRenderedSize` (src/render/request-size.ts): a render too big to store. Not an HTTP
 * error: the worker turns it into a final `failed` with this message; retrying cannot help, since
 * the snapshot is rendered from the same event and webhook every time.
 */
export class RenderedTooLargeError extends Error {
  override readonly name = 'RenderedTooLargeError';
  readonly code = ErrorCodes.renderedTooLarge;
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`The rendered request is ${bytes} bytes, more than the limit of ${limit} bytes: it cannot be stored or sent`);
  }
}
