/**
 * What `herald notifications show` says about a receiver's answer: "HTTP 401" alone does not say
 * why, the body usually does. Error bodies come in a few common shapes (`{"error": {"code",
 * "message"}}` as Herald's own API, Stripe and others answer; `{"code", "message"}`;
 * `{"error": "..."}`; RFC 9457 problem details `{"title", "detail"}`); the first that fits is shown.
 */

/** Longest response body printed in text mode (`--json` prints what is stored: up to 16 KiB). */
export const SHOWN_BODY_CHARS = 2048;

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : undefined;
}

/** `code: message` from a JSON error body, or null when the body has no recognisable error. */
export function errorSummary(body: string | null | undefined): string | null {
  if (!body) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const o = parsed as Record<string, unknown>;
  const inner = o.error && typeof o.error === 'object' && !Array.isArray(o.error) ? (o.error as Record<string, unknown>) : null;
  const code = text(inner?.code) ?? text(inner?.type) ?? text(o.code);
  const message = text(inner?.message) ?? text(o.message) ?? (inner ? undefined : text(o.error)) ?? text(o.detail) ?? text(o.title) ?? text(o.error_description);
  if (code && message) return `${code}: ${message}`;
  return message ?? code ?? null;
}

/** A body cut to what a terminal should show, saying how much was left out. */
export function cappedBody(body: string, max = SHOWN_BODY_CHARS): { shown: string; omitted: number } {
  return body.length > max ? { shown: body.slice(0, max), omitted: body.length - max } : { shown: body, omitted: 0 };
}
