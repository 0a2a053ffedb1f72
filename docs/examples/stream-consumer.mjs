/* global fetch, TextDecoderStream */
// A Herald Streaming API consumer in plain Node (>= 20, no dependencies); the README shows it whole
// and test/integration/stream-consumers.test.ts runs it.
// Usage: HERALD_URL=http://127.0.0.1:3000 HERALD_API_KEY=... node stream-consumer.mjs sub_... [stopAfter]
const [subscriptionId, stopAfter = '0'] = process.argv.slice(2);
const base = process.env.HERALD_URL ?? 'http://127.0.0.1:3000';
const auth = { authorization: `Bearer ${process.env.HERALD_API_KEY}` };
let seen = 0;

async function handle(event) {
  // Your work here. Delivery is at least once: make it idempotent (e.g. on event.id).
  console.log(JSON.stringify({ id: event.id, type: event.type, entityIds: event.entityIds, data: event.data }));
}

async function commit(streamId, cursor) {
  const res = await fetch(`${base}/v1/subscriptions/${subscriptionId}/cursors`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', 'x-herald-streamid': streamId },
    body: JSON.stringify({ items: [cursor] }),
  });
  if (res.status !== 409) return 'ok'; // 204 committed, 200 outdated (committed before)
  const { error } = await res.json();
  // The partition moved to another stream of the subscription, which reads it again: keep reading.
  // Any other 409: this stream is closed or expired: reconnect.
  return error.code === 'partition_not_owned' ? 'moved' : 'reconnect';
}

// Each stream resumes after the last committed cursor, so reconnecting never skips an event.
while (stopAfter === '0' || seen < Number(stopAfter)) {
  const res = await fetch(`${base}/v1/subscriptions/${subscriptionId}/events?batch_limit=100&batch_flush_timeout=1`, { headers: auth });
  if (res.status !== 200) throw new Error(`${res.status}: ${await res.text()}`);
  const streamId = res.headers.get('x-herald-streamid');
  let pending = '';
  stream: for await (const text of res.body.pipeThrough(new TextDecoderStream())) {
    pending += text;
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const batch = JSON.parse(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      if (!batch.events) continue; // a keep-alive
      for (const event of batch.events) await handle(event);
      seen += batch.events.length;
      if ((await commit(streamId, batch.cursor)) === 'reconnect' || (stopAfter !== '0' && seen >= Number(stopAfter))) break stream;
    }
  }
  await res.body.cancel().catch(() => {});
}
