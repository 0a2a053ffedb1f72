/**
 * One HTTP attempt with undici, turned into data: an AttemptResult, never a thrown error for
 * anything the remote side did. Success is a 2xx only; redirects are not followed; the response
 * body is read up to 16 KiB and the rest discarded so the connection can be reused.
 */
import { request, type Dispatcher } from 'undici';
import type { AttemptErrorKind } from '../models/notification';

export const MAX_RESPONSE_BODY_BYTES = 16 * 1024;

export interface OutgoingRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface AttemptResult {
  ok: boolean;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  statusCode?: number;
  responseHeaders?: Record<string, string>;
  responseBody?: string;
  error?: { kind: AttemptErrorKind; message: string };
  /** Seconds from a Retry-After header on 429/503, when present and valid. */
  retryAfterSeconds?: number;
}

export async function sendRequest(
  req: OutgoingRequest,
  opts: { dispatcher: Dispatcher; timeoutMs: number; now?: () => Date },
): Promise<AttemptResult> {
  const now = opts.now ?? (() => new Date());
  const startedAt = now();
  const started = performance.now();
  const done = (partial: Omit<AttemptResult, 'startedAt' | 'finishedAt' | 'durationMs'>): AttemptResult => ({
    ...partial,
    startedAt,
    finishedAt: now(),
    durationMs: Math.round(performance.now() - started),
  });

  // One deadline for the whole request: connect, headers and body.
  const signal = AbortSignal.timeout(opts.timeoutMs);
  try {
    const res = await request(req.url, {
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body,
      dispatcher: opts.dispatcher,
      signal,
    });
    const responseBody = await readCapped(res.body, MAX_RESPONSE_BODY_BYTES);
    const responseHeaders = flattenHeaders(res.headers);
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    return done({
      ok,
      statusCode: res.statusCode,
      responseHeaders,
      responseBody,
      error: ok ? undefined : { kind: 'http_status', message: `HTTP ${res.statusCode}` },
      retryAfterSeconds: res.statusCode === 429 || res.statusCode === 503 ? parseRetryAfter(responseHeaders['retry-after'], now()) : undefined,
    });
  } catch (err) {
    return done({ ok: false, error: classifyError(err, signal, opts.timeoutMs) });
  }
}

/** Reads at most `limit` bytes, then destroys the stream: a huge error page costs us nothing. */
async function readCapped(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      const room = limit - size;
      chunks.push(buf.length > room ? buf.subarray(0, room) : buf);
      size += Math.min(buf.length, room);
      if (size >= limit) break;
    }
  } finally {
    // Breaking out of for-await destroys the stream; make sure it is gone in every case.
    if (!body.destroyed) body.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  // An HTTP date names its month and weekday; a bare "-5" or "1.5" is neither form.
  if (!/[a-z]{3}/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|ERR_OSSL)/;

export function classifyError(err: unknown, signal: AbortSignal, timeoutMs: number): { kind: AttemptErrorKind; message: string } {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  const message = e.message || e.cause?.message || String(err);
  if (code === 'HERALD_BLOCKED_DESTINATION') return { kind: 'blocked', message };
  if (signal.aborted || e.name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { kind: 'timeout', message: `no complete response within ${timeoutMs} ms` };
  }
  if (TLS_CODE.test(code)) return { kind: 'tls', message: `${code}: ${message}` };
  return { kind: 'connection', message: code ? `${code}: ${message}` : message };
}
