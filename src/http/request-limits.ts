/**
 * Limits every request meets before a route sees it: a path that cannot be decoded, and JSON
 * nested too deep. Both would otherwise end in a 500 (Express's URIError; a stack overflow in
 * whatever walks the body recursively: JSON.stringify, mongoose, sift, Handlebars).
 */
import type { RequestHandler } from 'express';
import { ErrorCodes, HeraldError } from '../errors';

/** Deepest JSON body accepted, counting the body itself as level 1 (`{"data": {...}}`: data's object is level 2). */
export const MAX_JSON_DEPTH = 64;

/**
 * A path with a malformed percent-escape (`/v1/webhooks/%`, `/in/%/%`) is a 400 on every route,
 * before authentication: it is malformed whoever sends it, and the answer says nothing a 401 would
 * not. Express would decode it only when a route with parameters matches, as a 500 by default.
 */
export function rejectMalformedPath(): RequestHandler {
  return (req, _res, next) => {
    try {
      decodeURIComponent(req.path);
    } catch {
      throw malformedPath();
    }
    next();
  };
}

export function malformedPath(): HeraldError {
  return new HeraldError(
    400,
    ErrorCodes.malformedPath,
    'The URL path has a malformed percent-escape: "%" must be followed by two hexadecimal digits (write "%25" for a literal "%")',
  );
}

/**
 * How deep `value` nests (a scalar is 0, `{}` and `[]` are 1), walked with an explicit stack so
 * that measuring a 100,000-deep body cannot overflow the call stack itself. Stops as soon as
 * `limit` is passed and returns the top-level key under which that happened.
 */
export function exceedsDepth(value: unknown, limit: number): { topKey: string } | null {
  const stack: Array<{ value: unknown; depth: number; topKey: string }> = [{ value, depth: 0, topKey: '' }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value !== 'object' || item.value === null) continue;
    const depth = item.depth + 1;
    if (depth > limit) return { topKey: item.topKey };
    const entries = Array.isArray(item.value) ? item.value.map((v, i) => [String(i), v] as const) : Object.entries(item.value);
    for (const [key, child] of entries) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth, topKey: item.depth === 0 ? key : item.topKey });
    }
  }
  return null;
}

/** After a JSON body parser: a body nested deeper than `max` is a 400 naming the limit. */
export function limitJsonDepth(max = MAX_JSON_DEPTH): RequestHandler {
  return (req, _res, next) => {
    const over = exceedsDepth(req.body, max);
    if (over) {
      throw new HeraldError(400, ErrorCodes.nestingTooDeep, `The JSON body nests deeper than ${max} levels, the limit`, [
        { path: over.topKey, message: `must not nest deeper than ${max} levels (objects and arrays, counting the body itself)` },
      ]);
    }
    next();
  };
}
