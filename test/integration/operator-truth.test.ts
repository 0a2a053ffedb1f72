/**
 * Operator truth on the real stack: stopping traffic stops it (delete, disable, communications off
 * mid-retry end `cancelled`, with no further attempt), resume is explicit (a resend), and the
 * Temporal view agrees with MongoDB: `HeraldStatus` counts from a visibility query equal the API's
 * counts by status, after resends, deletes and the communications switch.
 */
import { eventually, roundOver, waitForStatus, useHeraldAndReceiver } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver();

const SHORT_RETRY = { maxAttempts: 20, initialIntervalSeconds: 1, backoffCoefficient: 1, maxIntervalSeconds: 1 };
const LONG_BACKOFF = { maxAttempts: 5, initialIntervalSeconds: 3600, backoffCoefficient: 2, maxIntervalSeconds: 7200 };
const ONE_ATTEMPT = { maxAttempts: 1, initialIntervalSeconds: 1, backoffCoefficient: 1, maxIntervalSeconds: 1 };

const hits = (path: string) => receiver.requests.filter((r) => r.url === path);

async function webhookFor(path: string, retry: object) {
  const eventType = `truth${path.replace(/\//g, '.')}`;
  const res = await h.api('POST', '/v1/webhooks', { name: path, eventTypes: [eventType], url: `${receiver.url}${path}`, retry });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, eventType };
}

async function send(eventType: string): Promise<string> {
  const res = await h.api('POST', '/v1/events', { type: eventType, data: {} });
  expect(res.status).toBe(202);
  return res.body.notifications[0].id;
}

/** After the stop, the round is over: no activity pending and no timer can fire an attempt. */
async function expectStopped(id: string, reason: string) {
  const n = await waitForStatus(h, id, ['cancelled']);
  expect(n).toMatchObject({ cancelReason: reason, nextAttemptAt: null });
  expect(n.cancelledAt).toEqual(expect.any(String));
  expect(await roundOver(h, n.workflowId)).toMatchObject({ status: 'cancelled' });
  const attrs = await eventually(async () => {
    const a = (await h.temporal.client.workflow.getHandle(n.workflowId).describe()).typedSearchAttributes;
    return a.getAll().some((p) => p.key.name === 'HeraldStatus' && p.value === 'cancelled') ? a : null;
  }, 10_000, 'HeraldStatus cancelled');
  expect(attrs).toBeDefined();
  return n;
}

beforeEach(() => receiver.respond(() => ({ status: 503 })));

test('deleting a webhook mid-retry cancels its notifications: no further attempt', async () => {
  const { id: webhookId, eventType } = await webhookFor('/deleted', SHORT_RETRY);
  const id = await send(eventType);
  await eventually(async () => hits('/deleted').length >= 2, 20_000, 'two failed attempts');
  expect((await h.api('DELETE', `/v1/webhooks/${webhookId}`)).status).toBe(204);
  const n = await expectStopped(id, 'webhook_deleted');
  // Every attempt the receiver saw is recorded, and none came after the stop.
  expect(hits('/deleted')).toHaveLength(n.attempts.length);
  expect(hits('/deleted').every((r) => r.at <= Date.parse(n.cancelledAt))).toBe(true);
});

test('disabling a webhook cancels a notification waiting out a long backoff at once', async () => {
  const { id: webhookId, eventType } = await webhookFor('/disabled', LONG_BACKOFF);
  const id = await send(eventType);
  await waitForStatus(h, id, ['retrying']);
  expect((await h.api('PATCH', `/v1/webhooks/${webhookId}`, { enabled: false })).status).toBe(200);
  const n = await expectStopped(id, 'webhook_disabled');
  expect(n.attempts).toHaveLength(1);

  // Re-enabling sends no backlog; an explicit resend does.
  expect((await h.api('PATCH', `/v1/webhooks/${webhookId}`, { enabled: true })).status).toBe(200);
  receiver.respond(() => ({ status: 200 }));
  expect((await h.api('GET', `/v1/notifications/${id}`)).body.status).toBe('cancelled');
  expect((await h.api('POST', `/v1/notifications/${id}/resend`, {})).status).toBe(202);
  const resent = await waitForStatus(h, id, ['sent']);
  expect(resent.attempts.map((a: { trigger: string }) => a.trigger)).toEqual(['automatic', 'manual']);
});

test('communications "none" cancels retrying notifications; switching back resends nothing by itself', async () => {
  const { eventType } = await webhookFor('/maintenance', LONG_BACKOFF);
  const id = await send(eventType);
  await waitForStatus(h, id, ['retrying']);
  try {
    expect((await h.api('PUT', '/v1/settings', { webhookCommunications: 'none' })).status).toBe(200);
    await expectStopped(id, 'communications_off');
    // While off, events are stored and create nothing.
    const during = await h.api('POST', '/v1/events', { type: eventType, data: {} });
    expect(during.body.notifications).toEqual([]);
  } finally {
    expect((await h.api('PUT', '/v1/settings', { webhookCommunications: 'enabled' })).status).toBe(200);
  }
  expect((await h.api('GET', `/v1/notifications/${id}`)).body.status).toBe('cancelled');
  expect(hits('/maintenance')).toHaveLength(1);
});

test('the Temporal view equals MongoDB: HeraldStatus counts match the API after resends, deletes and stops', async () => {
  receiver.respond((req) => {
    if (req.url === '/count-ok') return { status: 200 };
    if (req.url === '/count-heal') return { status: hits('/count-heal').length <= 1 ? 500 : 200 };
    return { status: 503 };
  });
  const ok = await webhookFor('/count-ok', ONE_ATTEMPT);
  const heal = await webhookFor('/count-heal', ONE_ATTEMPT);
  const down = await webhookFor('/count-down', ONE_ATTEMPT);
  const doomed = await webhookFor('/count-doomed', LONG_BACKOFF);

  const sent = await send(ok.eventType);
  const healed = await send(heal.eventType);
  const failed = await send(down.eventType);
  const cancelled = await send(doomed.eventType);
  await waitForStatus(h, sent, ['sent']);
  await waitForStatus(h, healed, ['failed']);
  await waitForStatus(h, failed, ['failed']);
  await waitForStatus(h, cancelled, ['retrying']);
  // A failed one resent to success, a retrying one stopped by deleting its webhook.
  expect((await h.api('POST', `/v1/notifications/${healed}/resend`, {})).status).toBe(202);
  await waitForStatus(h, healed, ['sent']);
  expect((await h.api('DELETE', `/v1/webhooks/${doomed.id}`)).status).toBe(204);
  await waitForStatus(h, cancelled, ['cancelled']);

  const ids = [sent, healed, failed, cancelled];
  const apiCounts = new Map<string, number>();
  for (const id of ids) {
    const s = (await h.api('GET', `/v1/notifications/${id}`)).body.status as string;
    apiCounts.set(s, (apiCounts.get(s) ?? 0) + 1);
  }
  expect(Object.fromEntries(apiCounts)).toEqual({ sent: 2, failed: 1, cancelled: 1 });
  // Visibility is eventually consistent: wait until it agrees, then it must agree exactly.
  const scope = `TaskQueue='${h.config.temporal.taskQueue}' AND WorkflowId IN (${ids.map((id) => `'notification-${id}'`).join(', ')})`;
  const temporalCounts = await eventually(async () => {
    const counts: Record<string, number> = {};
    for (const status of ['cancelled', 'failed', 'pending', 'retrying', 'sent']) {
      const { count } = await h.temporal.client.workflow.count(`${scope} AND HeraldStatus='${status}'`);
      if (count) counts[status] = count;
    }
    return JSON.stringify(counts) === JSON.stringify(Object.fromEntries([...apiCounts].sort())) ? counts : null;
  }, 20_000, 'Temporal counts by HeraldStatus to equal the API counts');
  expect(temporalCounts).toEqual({ cancelled: 1, failed: 1, sent: 2 });
});
