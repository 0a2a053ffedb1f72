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
    const commits = committer(opts, auth, res.headers.get('x-herald-streamid')!);
    let pending = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        pending += decoder.decode(chunk, { stream: true });
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const batch = JSON.parse(pending.slice(0, nl)) as StreamBatch;
          pending = pending.slice(nl + 1);
          if (!batch.events) continue; // a keep-alive
          await opts.onEvents(batch.events, batch);
          total += batch.events.length;
          commits.add(batch.cursor);
          if (commits.closed() || done()) break;
        }
        // Commits land before the response is left: closing it ends the stream, and a commit after that is refused.
        if (commits.closed() || done()) {
          await commits.flush();
          break;
        }
      }
      await commits.flush();
    } catch (err) {
      if (opts.signal?.aborted) break;
      throw err;
    } finally {
      await res.body?.cancel().catch(() => {});
    }
  }
  return total;
}

/**
 * Commits in the background, so reading the next batch never waits for the last commit's round
 * trip: one request at a time, each carrying the newest handled cursor of every partition (a
 * cursor covers everything before it in its partition). `closed()`: the stream was closed (409),
 * open a new one; it resumes after the last commit that landed. A 409 `partition_not_owned` is
 * not a closed stream: the partitions it names moved to another stream (which reads them again
 * from the committed cursor), so their cursors are dropped and the others committed.
 */
function committer(opts: ConsumeOptions, auth: Record<string, string>, streamId: string) {
  const newest = new Map<number, StreamBatch['cursor']>();
  let running: Promise<void> | null = null;
  let closed = false;
  let failure: unknown = null;
  const send = async () => {
    while (newest.size && !closed) {
      const items = [...newest.values()];
      newest.clear();
      const res = await fetch(`${opts.url}/v1/subscriptions/${opts.subscriptionId}/cursors`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'x-herald-streamid': streamId },
        body: JSON.stringify({ items }),
        signal: opts.signal,
      });
      const answer = await res.text();
      if (res.status === 409) {
        const moved = movedPartitions(answer, items);
        if (!moved) closed = true;
        // Partitions that moved to another stream (it reads them again) are dropped; the rest is sent again.
        else for (const c of items) if (!moved.has(c.partition) && !newest.has(c.partition)) newest.set(c.partition, c);
      } else if (res.status >= 300) throw new Error(`POST .../cursors answered ${res.status}`);
    }
  };
  const start = () => {
    running ??= send()
      .catch((err: unknown) => void (failure ??= err))
      .finally(() => {
        running = null;
        if (newest.size && !closed && !failure) start();
      });
  };
  return {
    add(cursor: StreamBatch['cursor']) {
      if (failure) throw failure;
      newest.set(cursor.partition, cursor);
      start();
    },
    closed: () => closed,
    async flush() {
      while (running) await running;
      if (failure && !opts.signal?.aborted) throw failure;
    },
  };
}

/** The partitions a 409 `partition_not_owned` names (details `items.N.partition`); null for any other 409. */
function movedPartitions(answer: string, items: Array<StreamBatch['cursor']>): Set<number> | null {
  let error: { code?: string; details?: Array<{ path: string }> } | undefined;
  try {
    error = (JSON.parse(answer) as { error?: typeof error }).error;
  } catch {
    return null;
  }
  if (error?.code !== 'partition_not_owned') return null;
  const indexes = (error.details ?? []).map((d) => Number(/^items\.(\d+)\.partition$/.exec(d.path)?.[1]));
  return new Set(indexes.filter((i) => items[i]).map((i) => items[i].partition));
}
