/**
 * How each kind of failed attempt is told apart and recorded, on the real stack: a slow receiver
 * (timeout), a closed port (connection), a self-signed certificate (tls), 429 with Retry-After (the next attempt waits), a redirect
 * (a failed attempt, not followed), a huge error page (cut to 16 KiB); and what an operator sees of
 * it in the Temporal Web UI (summary, current details, the `status` query) and in /metrics.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { eventually, waitForStatus, useHeraldAndReceiver } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver({}, (req) => (req.url === '/slow' ? { status: 200, delayMs: 3000 } : { status: 200 }));

const ONE_ATTEMPT = { maxAttempts: 1, initialIntervalSeconds: 1, backoffCoefficient: 1, maxIntervalSeconds: 1 };

/** Creates a webhook for a fresh event type, posts one event, returns the notification id. */
async function deliverOne(webhook: Record<string, unknown>): Promise<{ id: string; webhookId: string; eventType: string }> {
  const eventType = `t${Math.random().toString(36).slice(2, 10)}.test`;
  const created = await h.api('POST', '/v1/webhooks', { name: eventType, eventTypes: [eventType], ...webhook });
  expect(created.status).toBe(201);
  const res = await h.api('POST', '/v1/events', { type: eventType, data: { n: 1 } });
  expect(res.status).toBe(202);
  return { id: res.body.notifications[0].id, webhookId: created.body.id, eventType };
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test('a receiver slower than timeoutSeconds is a timeout attempt', async () => {
  const { id } = await deliverOne({ url: `${receiver.url}/slow`, timeoutSeconds: 1, retry: ONE_ATTEMPT });
  const final = await waitForStatus(h, id, ['failed']);
  expect(final.attempts).toHaveLength(1);
  expect(final.attempts[0].error).toEqual({ kind: 'timeout', message: 'no complete response within 1000 ms' });
  expect(final.attempts[0].statusCode).toBeUndefined();
  // The whole request is bounded: the attempt ended at the timeout, not when the receiver answered.
  expect(final.attempts[0].durationMs).toBeGreaterThanOrEqual(900);
  expect(final.attempts[0].durationMs).toBeLessThan(2500);
});

test('a closed port is a connection attempt', async () => {
  const port = await closedPort();
  const { id } = await deliverOne({ url: `http://127.0.0.1:${port}/nobody`, retry: ONE_ATTEMPT });
  const final = await waitForStatus(h, id, ['failed']);
  expect(final.attempts).toHaveLength(1);
  expect(final.attempts[0].error.kind).toBe('connection');
  expect(final.attempts[0].error.message).toMatch(/ECONNREFUSED/);
});

test('a receiver whose certificate cannot be verified is a tls attempt, and nothing reaches it', async () => {
  // A real HTTPS server on loopback with a freshly made self-signed certificate.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'herald-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  let requests = 0;
  const server = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, (_req, res) => {
    requests++;
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as net.AddressInfo;
    const { id } = await deliverOne({ url: `https://127.0.0.1:${port}/secure`, retry: ONE_ATTEMPT });
    const final = await waitForStatus(h, id, ['failed']);
    expect(final.attempts).toHaveLength(1);
    expect(final.attempts[0].error.kind).toBe('tls');
    expect(final.attempts[0].error.message).toMatch(/SELF_SIGNED|certificate/i);
    expect(final.attempts[0].statusCode).toBeUndefined();
    expect(requests).toBe(0);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('429 with Retry-After: 3 makes the next attempt wait at least 3 s, then it succeeds', async () => {
  let calls = 0;
  receiver.respond((req) =>
    req.url === '/rate-limited' ? (++calls === 1 ? { status: 429, headers: { 'retry-after': '3' } } : { status: 200 }) : { status: 200 },
  );
  // Without Retry-After the next attempt would come after 1 s.
  const { id } = await deliverOne({
    url: `${receiver.url}/rate-limited`,
    retry: { maxAttempts: 3, initialIntervalSeconds: 1, backoffCoefficient: 1, maxIntervalSeconds: 60 },
  });
  const final = await waitForStatus(h, id, ['sent', 'failed']);
  expect(final.status).toBe('sent');
  expect(final.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([429, 200]);
  expect(final.attempts[0].responseHeaders['retry-after']).toBe('3');
  const gap = Date.parse(final.attempts[1].startedAt) - Date.parse(final.attempts[0].finishedAt);
  expect(gap).toBeGreaterThanOrEqual(3000);
  const hits = receiver.requests.filter((r) => r.url === '/rate-limited');
  expect(hits[1].at - hits[0].at).toBeGreaterThanOrEqual(3000);
});

test('Retry-After is capped at maxIntervalSeconds', async () => {
  let calls = 0;
  receiver.respond((req) =>
    req.url === '/busy' ? (++calls === 1 ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 }) : { status: 200 },
  );
  const { id } = await deliverOne({
    url: `${receiver.url}/busy`,
    retry: { maxAttempts: 3, initialIntervalSeconds: 1, backoffCoefficient: 1, maxIntervalSeconds: 2 },
  });
  const final = await waitForStatus(h, id, ['sent', 'failed'], 20_000);
  expect(final.status).toBe('sent');
  const gap = Date.parse(final.attempts[1].startedAt) - Date.parse(final.attempts[0].finishedAt);
  expect(gap).toBeGreaterThanOrEqual(2000);
  expect(gap).toBeLessThan(10_000);
});

test('a 302 is a failed attempt and the redirect is not followed', async () => {
  receiver.respond((req) => (req.url === '/redirect' ? { status: 302, headers: { location: '/elsewhere' }, body: 'moved' } : { status: 200 }));
  const { id } = await deliverOne({ url: `${receiver.url}/redirect`, retry: ONE_ATTEMPT });
  const final = await waitForStatus(h, id, ['failed']);
  expect(final.attempts).toHaveLength(1);
  expect(final.attempts[0]).toMatchObject({ statusCode: 302, error: { kind: 'http_status', message: 'HTTP 302' } });
  expect(final.attempts[0].responseHeaders.location).toBe('/elsewhere');
  expect(receiver.requests.filter((r) => r.url === '/redirect')).toHaveLength(1);
  expect(receiver.requests.filter((r) => r.url === '/elsewhere')).toHaveLength(0);
});

test('a 40 KB error body is stored cut to 16 KiB', async () => {
  receiver.respond((req) => (req.url === '/huge' ? { status: 500, body: 'x'.repeat(40 * 1024) } : { status: 200 }));
  const { id } = await deliverOne({ url: `${receiver.url}/huge`, retry: ONE_ATTEMPT });
  const final = await waitForStatus(h, id, ['failed']);
  expect(final.attempts[0].statusCode).toBe(500);
  expect(final.attempts[0].responseBody).toBe('x'.repeat(16 * 1024));
});

test('the Web UI shows a summary (method, host, event type), current details, and the status query answers', async () => {
  const port = await closedPort();
  // A long backoff: the workflow stays open, waiting to retry, so details and the query can be read.
  const { id, eventType, webhookId } = await deliverOne({
    url: `http://127.0.0.1:${port}/later?x={{event.id}}`,
    method: 'PUT',
    retry: { maxAttempts: 5, initialIntervalSeconds: 3600, backoffCoefficient: 2, maxIntervalSeconds: 7200 },
  });
  const retrying = await waitForStatus(h, id, ['retrying']);
  expect(retrying.attemptCount).toBe(1);
  const nextAt = Date.parse(retrying.nextAttemptAt);
  expect(nextAt - Date.parse(retrying.attempts[0].finishedAt)).toBe(3600_000);

  const handle = h.temporal.client.workflow.getHandle(`notification-${id}`);
  const desc = await handle.describe();
  expect(await desc.staticSummary()).toBe(`PUT 127.0.0.1:${port} · ${eventType}`);
  expect(desc.searchAttributes).toBeDefined();
  const state = await eventually(async () => {
    const s = await handle.query<{ status: string; attempts: number; nextAttemptAt: string | null; lastAttempt: { errorKind: string } | null }>('status');
    return s.status === 'retrying' ? s : null;
  }, 10_000, 'the status query to report retrying');
  expect(state).toMatchObject({ notificationId: id, attempts: 1, lastAttempt: { number: 1, ok: false, errorKind: 'connection' } });
  expect(Date.parse(state.nextAttemptAt!)).toBe(nextAt);

  const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  expect(meta.currentDetails).toContain('**Status:** retrying');
  expect(meta.currentDetails).toContain('connection');
  expect(meta.currentDetails).toContain(`**Next attempt:** ${retrying.nextAttemptAt.replace(/Z$/, '')}`);

  const typed = (await handle.describe()).typedSearchAttributes;
  expect(typed.getAll().map((p) => [p.key.name, p.value])).toEqual(
    expect.arrayContaining([
      ['HeraldStatus', 'retrying'],
      ['HeraldWebhookId', webhookId],
      ['HeraldEventType', eventType],
    ]),
  );
  await handle.terminate('test over');
});

test('/metrics counts attempts by outcome, their durations, and notifications by status', async () => {
  const res = await fetch(`${h.url}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  for (const outcome of ['success', 'timeout', 'connection', 'http_status']) {
    expect(text).toMatch(new RegExp(`herald_attempts_total\\{outcome="${outcome}"\\} [1-9]`));
  }
  expect(text).toMatch(/herald_attempt_duration_seconds_count\{outcome="timeout"\} [1-9]/);
  const failed = await h.models.Notification.countDocuments({ status: 'failed' });
  expect(text).toContain(`herald_notifications{status="failed"} ${failed}`);
  expect(text).toMatch(/herald_notifications\{status="sent"\} [1-9]/);
});
