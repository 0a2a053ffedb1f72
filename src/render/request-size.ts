/**
 * The cap on a rendered request. A template can multiply an event (`{{#each}}` over a list, an XML
 * wrapper around every value): a 1 MB event rendered into 18 MB could never be stored (MongoDB's
 * 16 MiB document limit; FerretDB stores documents as JSON text) and would fail on every retry.
 * Checked right after rendering, so such a notification fails at once, visibly, with the reason.
 */
import { RenderedTooLargeError } from '../errors';
import type { RequestSnapshot } from './snapshot';

/**
 * 4 MiB of stored JSON (URL, headers and body, escapes included): far above any sensible webhook,
 * and far enough below the 16 MiB document limit to leave room for the attempts recorded beside it.
 */
export const MAX_RENDERED_REQUEST_BYTES = 4 * 1024 * 1024;

/** Bytes the snapshot takes when stored as JSON text (an upper bound of its BSON size too). */
export function renderedRequestBytes(request: RequestSnapshot): number {
  return Buffer.byteLength(JSON.stringify(request), 'utf8');
}

/** Throws RenderedTooLargeError (code `rendered_request_too_large`) when the snapshot is over the limit. */
export function assertRenderedSize(request: RequestSnapshot, limit = MAX_RENDERED_REQUEST_BYTES): void {
  let units = request.method.length + request.url.length + request.body.length;
  for (const [name, value] of Object.entries(request.headers)) units += name.length + value.length;
  // One UTF-16 unit takes at most 6 bytes as JSON (`\u0000`), so small requests, the usual case,
  // skip the serialization.
  if (units * 6 + 256 <= limit) return;
  const bytes = renderedRequestBytes(request);
  if (bytes > limit) throw new RenderedTooLargeError(bytes, limit);
}
