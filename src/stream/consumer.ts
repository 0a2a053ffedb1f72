/**
 * A Streaming API consumer over HTTP (undici's fetch): reads a stream's NDJSON batches, hands each
 * batch's events to `onEvents`, commits the batch's cursor, and opens a new stream when one ends
 * (it resumes after the last commit). Used by `herald stream` and the benchmark.
 */
export interface StreamBatch {
  cursor: { partition: number; offset: number; eventType: string | null; cursorToken: string };
  events?: Array<{ id: string; type: string; occurredAt: string; entityIds: string[]; data: Record<string, unknown> }>;
  skipped?: { fromOffset: number; toOffset: number };
}

export interface ConsumeOptions {
  url: string;
  apiKey: string;
  subscriptionId: string;
  query?: Record<string, string | number>;
  /** Handles a batch's events before its cursor is committed (at least once: it may see one again). */
  onEvents(events: NonNullable<StreamBatch['events']>, batch: StreamBatch): void | Promise<void>;
  /** Stops after this many events (0: never). */
  maxEvents?: number;
  signal?: AbortSignal;
}

export async function consumeStream(opts: ConsumeOptions): Promise<number> {
  const auth = { authorization: `Bearer ${opts.apiKey}` };
  const query = new URLSearchParams(Object.entries(opts.query ?? {}).map(([k, v]): [string, string] => [k, String(v)])).toString();
  let total = 0;
  const done = () => opts.signal?.aborted || (!!opts.maxEvents && total >= opts.maxEvents);
  while (!done()) {
    const res = await fetch(`${opts.url}/v1/subscriptions/${opts.subscriptionId}/events${query ? `?${query}` : ''}`, { headers: auth, signal: opts.signal });
    if (res.status !== 200) throw new Error(`GET .../events answered ${res.status}: ${await res.text()}`);
    const streamId = res.headers.get('x-herald-streamid')!;
    let pending = '';
    const decoder = new TextDecoder();
    try {
      stream: for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        pending += decoder.decode(chunk, { stream: true });
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const batch = JSON.parse(pending.slice(0, nl)) as StreamBatch;
          pending = pending.slice(nl + 1);
          if (!batch.events) continue; // a keep-alive
          await opts.onEvents(batch.events, batch);
          total += batch.events.length;
          const commit = await fetch(`${opts.url}/v1/subscriptions/${opts.subscriptionId}/cursors`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json', 'x-herald-streamid': streamId },
            body: JSON.stringify({ items: [batch.cursor] }),
            signal: opts.signal,
          });
          const answer = await commit.text();
          // 409 partition_not_owned: the partition moved to another stream, which reads it again: keep reading this one.
          // Any other 409: this stream was closed or expired: open a new one.
          if (commit.status === 409 && errorCode(answer) !== 'partition_not_owned') break stream;
          if (done()) break stream;
        }
      }
    } catch (err) {
      if (opts.signal?.aborted) break;
      throw err;
    } finally {
      await res.body?.cancel().catch(() => {});
    }
  }
  return total;
}

function errorCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}
