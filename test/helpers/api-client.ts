/**
 * A careful client of an API process that a crash test may kill at any moment (zero-loss,
 * production-engine): a request that gets no answer is null, not an error, and an event is posted
 * again with its Idempotency-Key until it is accepted.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** An answer of the API, or null when there was none at all (refused, reset, timed out). */
export type ApiAnswer = { status: number; body: any } | null;

export interface ApiClient {
  /** One request to the API, answered within 30 s or null. */
  request(method: string, route: string, body: unknown, headers?: Record<string, string>): Promise<ApiAnswer>;
  /**
   * Posts an event until a 2xx and returns that answer's body: no answer or a 5xx promised nothing,
   * so it is sent again with the same Idempotency-Key after the client's own 200 ms back-off
   * (`onFailure` is told of each such request). A 4xx, or no 2xx within `timeoutMs`, throws.
   */
  postUntilAccepted(key: string, body: unknown, o: { timeoutMs: number; onFailure?: () => void }): Promise<any>;
}

/** A client of the API at `baseUrl` (e.g. http://127.0.0.1:3000) with the bearer `apiKey`. */
export function apiClient(baseUrl: string, apiKey: string): ApiClient {
  async function request(method: string, route: string, body: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
    try {
      const res = await fetch(`${baseUrl}${route}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    } catch {
      return null;
    }
  }

  async function postUntilAccepted(key: string, body: unknown, o: { timeoutMs: number; onFailure?: () => void }): Promise<any> {
    const deadline = Date.now() + o.timeoutMs;
    for (;;) {
      const res = await request('POST', '/v1/events', body, { 'idempotency-key': key });
      if (res && res.status >= 200 && res.status < 300) return res.body;
      if (res && res.status < 500) throw new Error(`event ${key}: ${res.status} ${JSON.stringify(res.body)}`);
      o.onFailure?.();
      if (Date.now() > deadline) throw new Error(`event ${key} was never accepted; last answer ${JSON.stringify(res)}`);
      await delay(200);
    }
  }

  return { request, postUntilAccepted };
}
