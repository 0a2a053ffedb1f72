/**
 * Resends on the real stack: through the API (one, and in bulk by filter), through Temporal
 * (signal-with-start on a closed workflow, a plain signal on a running one), always with the
 * stored snapshot and a new idempotency key; and finding failed notifications with the real
 * `temporal workflow list --query "HeraldStatus='failed'"`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eventually, FAST_RETRY, roundOver, waitForStatus, useHeraldAndReceiver } from '../helpers/herald';
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

test('a failed notification is resent by a plain Temporal signal: its execution stays open for the resend window', async () => {
  receiver.respond((req) => (req.url === '/plain' ? { status: hits('/plain').length <= 1 ? 500 : 200 } : { status: 200 }));
  const { eventType } = await createWebhook('/plain', { retry: ONE_ATTEMPT });
  const id = await postEvent(eventType);
  await waitForStatus(h, id, ['failed']);
  const handle = h.temporal.client.workflow.getHandle(`notification-${id}`);
  expect(await roundOver(h, `notification-${id}`)).toMatchObject({ status: 'failed', attempts: 1 });
  expect((await handle.describe()).status.name).toBe('RUNNING');

  // What `temporal workflow signal --name resend` or the Web UI does: a plain signal, no start.
  await handle.signal('resend', { reason: 'plain signal' });
  const final = await waitForStatus(h, id, ['sent']);
  expect(final.attempts.map((a: { trigger: string; statusCode: number }) => [a.trigger, a.statusCode])).toEqual([
    ['automatic', 500],
    ['manual', 200],
  ]);
  const typed = await eventually(async () => {
    const attrs = (await handle.describe()).typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]);
    return attrs.some(([k, v]) => k === 'HeraldStatus' && v === 'sent') ? attrs : null;
  }, 10_000, 'HeraldStatus to become sent');
  expect(typed).toEqual(expect.arrayContaining([['HeraldStatus', 'sent']]));
});

test('after the window (execution closed) a resend starts a new run and deletes the closed one: one execution, one status', async () => {
  receiver.respond((req) => (req.url === '/signal' ? { status: hits('/signal').length <= 1 ? 500 : 200 } : { status: 200 }));
  const { webhook, eventType } = await createWebhook('/signal', { retry: ONE_ATTEMPT });
  const id = await postEvent(eventType);
  await waitForStatus(h, id, ['failed']);
  await roundOver(h, `notification-${id}`);
  // Close it as the end of the window would (terminating keeps HeraldStatus=failed on the closed run).
  const closed = h.temporal.client.workflow.getHandle(`notification-${id}`);
  const closedRunId = (await closed.describe()).runId;
  await closed.terminate('the resend window ended');

  await signalResend(h.temporal, { id, webhookId: webhook.id, eventType, status: 'failed' }, { reason: 'by signal' });
  const final = await waitForStatus(h, id, ['sent']);
  expect(final.attempts.map((a: { trigger: string; statusCode: number }) => [a.trigger, a.statusCode])).toEqual([
    ['automatic', 500],
    ['manual', 200],
  ]);
  expect(final.failedAt).toBeNull();
  expect(final.sentAt).toEqual(expect.any(String));
  const run = h.temporal.client.workflow.getHandle(`notification-${id}`);
  const current = await eventually(async () => {
    const d = await run.describe();
    return d.typedSearchAttributes.getAll().some((p) => p.key.name === 'HeraldStatus' && p.value === 'sent') ? d : null;
  }, 10_000, 'the new run to show sent');
  expect(current.runId).not.toBe(closedRunId);
  // The closed run is gone, so a visibility query sees this notification once, as sent.
  // (Deletion runs as a server task: it may take a moment.)
  const gone = await eventually(async () => {
    const name = await h.temporal.client.workflow.getHandle(`notification-${id}`, closedRunId).describe().then(() => null, (err: Error) => err.name);
    return name === 'WorkflowNotFoundError' ? name : null;
  }, 60_000, 'the closed run to be deleted');
  expect(gone).toBe('WorkflowNotFoundError');
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
  // The manual success cancelled the waiting round: no automatic attempt follows.
  expect(await roundOver(h, `notification-${id}`)).toMatchObject({ status: 'sent', manualResends: 1 });
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
