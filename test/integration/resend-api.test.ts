/**
 * Resends on the real stack: through the API (one, and in bulk by filter), through Temporal
 * (signal-with-start on a closed workflow, a plain signal on a running one), always with the
 * stored snapshot and a new idempotency key; and finding failed notifications with the real
 * `temporal workflow list --query "HeraldStatus='failed'"`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eventually, FAST_RETRY, waitForStatus, useHeraldAndReceiver } from '../helpers/herald';
import { signalResend } from '../../src/temporal';
import { ensureTool } from '../../src/embedded/tools';

const run = promisify(execFile);
const { h, receiver } = useHeraldAndReceiver();

const ONE_ATTEMPT = { ...FAST_RETRY, maxAttempts: 1 };
const IDEMPOTENCY = 'x-notifications-idempotency-key';

async function createWebhook(path: string, body: Record<string, unknown> = {}) {
  const eventType = `${path.slice(1)}.test`;
  const res = await h.api('POST', '/v1/webhooks', { name: path, eventTypes: [eventType], url: `${receiver.url}${path}`, ...body });
  expect(res.status).toBe(201);
  return { webhook: res.body, eventType };
}

async function postEvent(eventType: string, data: Record<string, unknown> = {}): Promise<string> {
  const res = await h.api('POST', '/v1/events', { type: eventType, data });
  expect(res.status).toBe(202);
  return res.body.notifications[0].id;
}

const hits = (path: string) => receiver.requests.filter((r) => r.url === path);

test('a resend after the webhook template changed sends the original snapshot with a new key and trigger manual', async () => {
  const { webhook, eventType } = await createWebhook('/template', { bodyTemplate: '{"version": 1, "amount": {{data.amount}}}' });
  const id = await postEvent(eventType, { amount: 42 });
  const first = await waitForStatus(h, id, ['sent']);
  expect(JSON.parse(first.request.body)).toEqual({ version: 1, amount: 42 });

  const patched = await h.api('PATCH', `/v1/webhooks/${webhook.id}`, { bodyTemplate: '{"version": 2}' });
  expect(patched.status).toBe(200);
  const res = await h.api('POST', `/v1/notifications/${id}/resend`, { reason: 'customer asked' });
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ id, workflowId: `notification-${id}` });

  const [original, resent] = await eventually(async () => (hits('/template').length >= 2 ? hits('/template') : null), 20_000, 'the resent request');
  expect(resent.body).toBe(original.body);
  expect(resent.headers[IDEMPOTENCY]).toEqual(expect.any(String));
  expect(resent.headers[IDEMPOTENCY]).not.toBe(original.headers[IDEMPOTENCY]);

  const after = await eventually(async () => {
    const r = await h.api('GET', `/v1/notifications/${id}`);
    return r.body.attempts.length === 2 ? r.body : null;
  });
  expect(after.status).toBe('sent');
  expect(after.request.body).toBe(first.request.body);
  expect(after.attempts.map((a: { trigger: string }) => a.trigger)).toEqual(['automatic', 'manual']);
  expect(after.attempts[1]).toMatchObject({ number: 2, statusCode: 200, idempotencyKey: resent.headers[IDEMPOTENCY] });
  expect(after.attempts[0].idempotencyKey).toBe(original.headers[IDEMPOTENCY]);
});

test('a resend of a failed notification through Temporal signal-with-start (its workflow closed) delivers it', async () => {
  receiver.respond((req) => (req.url === '/signal' ? { status: hits('/signal').length <= 1 ? 500 : 200 } : { status: 200 }));
  const { webhook, eventType } = await createWebhook('/signal', { retry: ONE_ATTEMPT });
  const id = await postEvent(eventType);
  await waitForStatus(h, id, ['failed']);
  // MongoDB says failed as soon as the attempt is recorded; wait for the workflow itself to close.
  const handle = h.temporal.client.workflow.getHandle(`notification-${id}`);
  expect(await handle.result()).toMatchObject({ status: 'failed', attempts: 1 });
  expect((await handle.describe()).status.name).toBe('COMPLETED');

  await signalResend(h.temporal, { id, webhookId: webhook.id, eventType }, { reason: 'by signal' });
  const final = await waitForStatus(h, id, ['sent']);
  expect(final.attempts.map((a: { trigger: string; statusCode: number }) => [a.trigger, a.statusCode])).toEqual([
    ['automatic', 500],
    ['manual', 200],
  ]);
  expect(final.failedAt).toBeNull();
  expect(final.sentAt).toEqual(expect.any(String));
  // The resend-only run ends after its one attempt, with the search attribute updated.
  const run = h.temporal.client.workflow.getHandle(`notification-${id}`);
  await run.result();
  const attrs = (await run.describe()).typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]);
  expect(attrs).toEqual(expect.arrayContaining([['HeraldStatus', 'sent']]));
});

test('a resend while the notification waits out a long backoff makes an immediate manual attempt and ends the round', async () => {
  receiver.respond((req) => (req.url === '/waiting' ? { status: hits('/waiting').length <= 1 ? 503 : 200 } : { status: 200 }));
  const { eventType } = await createWebhook('/waiting', { retry: { maxAttempts: 5, initialIntervalSeconds: 3600, backoffCoefficient: 2, maxIntervalSeconds: 7200 } });
  const id = await postEvent(eventType);
  const waiting = await waitForStatus(h, id, ['retrying']);
  expect(Date.parse(waiting.nextAttemptAt) - Date.now()).toBeGreaterThan(3500_000);

  const handle = h.temporal.client.workflow.getHandle(`notification-${id}`);
  const signalledAt = Date.now();
  await handle.signal('resend', { reason: 'do not wait an hour' });
  const final = await waitForStatus(h, id, ['sent'], 20_000);
  expect(Date.now() - signalledAt).toBeLessThan(15_000);
  expect(final.attempts.map((a: { trigger: string; statusCode: number }) => [a.trigger, a.statusCode])).toEqual([
    ['automatic', 503],
    ['manual', 200],
  ]);
  expect(final.attempts[1].idempotencyKey).not.toBe(final.attempts[0].idempotencyKey);
  expect(final.nextAttemptAt).toBeNull();
  // The manual success cancelled the waiting round: the workflow is over, no automatic attempt follows.
  const result = await handle.result();
  expect(result).toMatchObject({ status: 'sent', manualResends: 1 });
  expect(hits('/waiting')).toHaveLength(2);
});

test('a failed manual resend during a waiting round keeps it retrying with the same next attempt time', async () => {
  receiver.respond((req) => (req.url === '/still-down' ? { status: 500 } : { status: 200 }));
  const { eventType } = await createWebhook('/still-down', { retry: { maxAttempts: 5, initialIntervalSeconds: 3600, backoffCoefficient: 2, maxIntervalSeconds: 7200 } });
  const id = await postEvent(eventType);
  const waiting = await waitForStatus(h, id, ['retrying']);
  expect((await h.api('POST', `/v1/notifications/${id}/resend`, {})).status).toBe(202);
  const after = await eventually(async () => {
    const r = await h.api('GET', `/v1/notifications/${id}`);
    return r.body.attempts.length === 2 ? r.body : null;
  });
  expect(after.status).toBe('retrying');
  expect(after.attempts[1]).toMatchObject({ trigger: 'manual', statusCode: 500 });
  expect(after.nextAttemptAt).toBe(waiting.nextAttemptAt);
  await h.temporal.client.workflow.getHandle(`notification-${id}`).terminate('test over');
});

test('bulk resend of five failed notifications answers 202 {matched, resent} and resends each', async () => {
  receiver.respond((req) => (req.url === '/bulk' ? { status: 500 } : { status: 200 }));
  const { webhook, eventType } = await createWebhook('/bulk', { retry: ONE_ATTEMPT });
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(await postEvent(eventType, { i }));
  await Promise.all(ids.map((id) => waitForStatus(h, id, ['failed'])));

  receiver.respond(() => ({ status: 200 }));
  const res = await h.api('POST', '/v1/notifications/resend', { status: 'failed', webhookId: webhook.id });
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ matched: 5, resent: 5, jobId: expect.stringMatching(/^job_/) });

  const finals = await Promise.all(ids.map((id) => waitForStatus(h, id, ['sent'])));
  for (const n of finals) expect(n.attempts.map((a: { trigger: string }) => a.trigger)).toEqual(['automatic', 'manual']);
  expect(hits('/bulk')).toHaveLength(10);

  const job = await eventually(async () => {
    const r = await h.api('GET', `/v1/notifications/resend/${res.body.jobId}`);
    return r.body.status === 'completed' ? r.body : null;
  });
  expect(job.result).toEqual({ matched: 5, resent: 5, skipped: 0 });

  // Nothing failed is left for this webhook.
  const again = await h.api('POST', '/v1/notifications/resend', { status: 'failed', webhookId: webhook.id });
  expect(again.body).toEqual({ matched: 0, resent: 0, jobId: null });
});

test('bulk resend needs at least one filter and rejects unknown fields', async () => {
  const empty = await h.api('POST', '/v1/notifications/resend', {});
  expect(empty.status).toBe(400);
  const unknown = await h.api('POST', '/v1/notifications/resend', { status: 'failed', colour: 'red' });
  expect(unknown.status).toBe(400);
  const badDate = await h.api('POST', '/v1/notifications/resend', { since: 'yesterday' });
  expect(badDate.status).toBe(400);
  expect(badDate.body.error.details).toEqual([{ path: 'since', message: 'must be an ISO 8601 date-time' }]);
});

test('resending an unknown notification is 404', async () => {
  const res = await h.api('POST', '/v1/notifications/ntf_doesnotexist/resend', {});
  expect(res.status).toBe(404);
});

test("temporal workflow list --query \"HeraldStatus='failed'\" finds a failed notification", async () => {
  receiver.respond((req) => (req.url === '/listed' ? { status: 500 } : { status: 200 }));
  const { webhook, eventType } = await createWebhook('/listed', { retry: ONE_ATTEMPT });
  const id = await postEvent(eventType);
  await waitForStatus(h, id, ['failed']);
  const temporal = await ensureTool('temporal', { explicitPath: process.env.HERALD_TEMPORAL_BIN });
  const listed = await eventually(async () => {
    const { stdout } = await run(temporal, [
      'workflow', 'list',
      '--address', h.config.temporal.address!,
      '--namespace', h.config.temporal.namespace,
      '--query', `HeraldStatus='failed' AND HeraldWebhookId='${webhook.id}'`,
      '--output', 'json',
    ]);
    const rows = JSON.parse(stdout || '[]') as Array<{ execution: { workflowId: string } }>;
    return rows.length > 0 ? rows : null;
  }, 20_000, 'the failed workflow in the visibility store');
  expect(listed.map((r) => r.execution.workflowId)).toEqual([`notification-${id}`]);
});
