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

export function unavailable(message: string): HeraldError {
  return new HeraldError(503, ErrorCodes.unavailable, message);
}

/** Turns zod-style issues (`path` as an array) into our `details` shape. */
export function issuesFromZod(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): ValidationIssue[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}
