/**
 * A Streaming API consumer for tests: opens `GET /v1/subscriptions/{id}/events`, parses the NDJSON
 * lines as they come, and commits cursors with the stream's id.
 */
export interface StreamBatch {
  cursor: { partition: number; offset: number; eventType: string | null; cursorToken: string };
  events?: Array<{ id: string; type: string; entityIds: string[]; data: Record<string, unknown> }>;
  skipped?: { fromOffset: number; toOffset: number };
  /** When the test received the line (Date.now()). */
  receivedAt?: number;
}

export interface TestStream {
  status: number;
  streamId: string | null;
  body: string;
  batches: StreamBatch[];
  /** Resolves when at least `n` events arrived (or throws after `timeoutMs`). */
  untilEvents(n: number, timeoutMs?: number): Promise<StreamBatch[]>;
  events(): NonNullable<StreamBatch['events']>;
  ended: Promise<void>;
  /** With autoCommit: resolves when every commit started so far has been answered. */
  commitsSettled(): Promise<void>;
  close(): void;
}

/** `autoCommit`: commit every batch with events as it arrives, like a consumer that keeps up. */
export async function openStream(baseUrl: string, apiKey: string, subscriptionId: string, query = '', opts: { autoCommit?: boolean } = {}): Promise<TestStream> {
  const controller = new AbortController();
  let commits = Promise.resolve();
  const res = await fetch(`${baseUrl}/v1/subscriptions/${subscriptionId}/events${query ? `?${query}` : ''}`, {
    headers: { authorization: `Bearer ${apiKey}` },
    signal: controller.signal,
  });
  const stream: TestStream = {
    status: res.status,
    streamId: res.headers.get('x-herald-streamid'),
    body: '',
    batches: [],
    events: () => stream.batches.flatMap((b) => b.events ?? []),
    async untilEvents(n, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (stream.events().length < n) {
        if (Date.now() > deadline) throw new Error(`stream got ${stream.events().length} of ${n} events: ${stream.body.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return stream.batches;
    },
    ended: Promise.resolve(),
    commitsSettled: () => commits,
    close: () => controller.abort(),
  };
  if (res.status !== 200) {
    stream.body = await res.text();
    return stream;
  }
  stream.ended = (async () => {
    const decoder = new TextDecoder();
    let pending = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true });
        stream.body += text;
        pending += text;
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (!line.trim()) continue;
          const batch = JSON.parse(line) as StreamBatch;
          batch.receivedAt = Date.now();
          stream.batches.push(batch);
          if (opts.autoCommit && batch.events) {
            commits = commits.then(() => commit(baseUrl, apiKey, subscriptionId, stream.streamId, [batch.cursor])).then(() => {}, () => {});
          }
        }
      }
    } catch {
      // aborted by close(), or the server went away
    }
  })();
  return stream;
}

export async function commit(baseUrl: string, apiKey: string, subscriptionId: string, streamId: string | null, cursors: Array<StreamBatch['cursor']>) {
  const res = await fetch(`${baseUrl}/v1/subscriptions/${subscriptionId}/cursors`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...(streamId ? { 'x-herald-streamid': streamId } : {}) },
    body: JSON.stringify({ items: cursors }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
}

/** The streams a test file opens through it, closed after each test (`h`: a live Herald, e.g. useHeraldAndReceiver's). */
export function useStreams(h: { url: string }, apiKey: string) {
  const open: TestStream[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  return async (subscriptionId: string, query = '', opts: { autoCommit?: boolean } = {}): Promise<TestStream> => {
    const s = await openStream(h.url, apiKey, subscriptionId, query, opts);
    open.push(s);
    return s;
  };
}
