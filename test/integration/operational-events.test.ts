/**
 * Operational events on the real stack: a notification whose automatic attempts run out emits
 * `herald.notification.failed`, delivered (signed) to an operator webhook subscribed to it by name,
 * never to a `"*"` webhook; an operational webhook that fails emits nothing about itself (the loop
 * guard); clients cannot send `herald.*` types; an emit repeated with one key creates one event.
 */
import { Webhook } from 'standardwebhooks';
import { type ReceivedRequest } from '../helpers/receiver';
import { FAST_RETRY, eventually, roundOver, waitForStatus, useHeraldAndReceiver } from '../helpers/herald';
import { emitOperationalEvent } from '../../src/operational-events';
import { startDispatchSweeper } from '../../src/dispatch-sweeper';
import { notificationFailedKey } from '../../src/notification-failed';
import { notificationWorkflowId } from '../../workflows/shared';

// Paths under /fail and /broken answer 500; everything else 200.
const { h, receiver } = useHeraldAndReceiver({}, (req) => (req.url.startsWith('/fail') || req.url.startsWith('/broken') ? { status: 500, body: 'down' } : { status: 200 }));

const ONE_ATTEMPT = { maxAttempts: 1, initialIntervalSeconds: 1, backoffCoefficient: 1, maxIntervalSeconds: 1 };
const RULE = 'must not start with "herald.": that namespace is reserved for Herald\'s operational events';

let n = 0;
const unique = (what: string) => `${what}${++n}x${Math.random().toString(36).slice(2, 8)}`;

async function createWebhook(body: Record<string, unknown>): Promise<string> {
  const res = await h.api('POST', '/v1/webhooks', { name: unique('wh'), ...body });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const at = (path: string) => receiver.requests.filter((r) => r.url === path);

function verify(secret: string, r: ReceivedRequest): unknown {
  return new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  });
}

/** herald.notification.failed events about one notification. */
const failedEventsAbout = async (notificationId: string) =>
  (await h.models.Event.find({ type: 'herald.notification.failed' }).lean()).filter((e) => JSON.parse(e.dataJson ?? '{}').notificationId === notificationId);

test('POST /v1/events, inbound sources and their direct URLs refuse herald.* types with a 400 naming the field', async () => {
  const reserved = ['herald.notification.failed', 'herald.anything', 'Herald.Webhook.Disabled'];
  for (const type of reserved) {
    const res = await h.api('POST', '/v1/events', { type, data: {} });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'type', message: RULE }]);
  }
  expect(await h.models.Event.countDocuments({ type: { $in: reserved } })).toBe(0);

  const source = await h.api('POST', '/v1/sources', { name: 'spoof', eventType: 'herald.webhook.disabled' });
  expect(source.status).toBe(400);
  expect(source.body.error.details).toEqual([{ path: 'eventType', message: RULE }]);

  // A source saved before the rule: its direct URL refuses to push the reserved type.
  const ok = await h.api('POST', '/v1/sources', { name: 'old', eventType: 'loan.disbursed' });
  expect(ok.status).toBe(201);
  await h.models.Source.updateOne({ _id: ok.body.id }, { $set: { eventType: 'herald.notification.failed' } });
  // publicUrl names the configured port; this test API listens on its own.
  const inbound = await fetch(`${h.url}${new URL(ok.body.directUrl).pathname}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
  expect(inbound.status).toBe(400);
  const body = (await inbound.json()) as { error: { details: Array<{ path: string; message: string }> } };
  expect(body.error.details).toEqual([{ path: 'eventType', message: expect.stringContaining(RULE) }]);
  expect(await h.models.Event.countDocuments({ source: ok.body.id })).toBe(0);
});

test('GET /v1/event-types offers the operational types before any happened', async () => {
  const res = await h.api('GET', '/v1/event-types');
  expect(res.status).toBe(200);
  const failed = res.body.data.find((t: { type: string }) => t.type === 'herald.notification.failed');
  expect(failed).toMatchObject({ count: 0, latestEventId: null, operational: true });
  expect(failed.dataPaths).toEqual(expect.arrayContaining(['notificationId', 'webhookId', 'eventId', 'lastAttempt.statusCode', 'lastAttempt.errorKind']));
  const operational = res.body.data.filter((t: { operational: boolean }) => t.operational).map((t: { type: string }) => t.type);
  expect(operational.sort()).toEqual(['herald.notification.failed', 'herald.webhook.circuit_closed', 'herald.webhook.circuit_opened', 'herald.webhook.disabled']);
});

test('an operator webhook gets a signed herald.notification.failed when attempts run out; a "*" webhook does not', async () => {
  const eventType = unique('loan.');
  const failing = await createWebhook({ eventTypes: [eventType], url: `${receiver.url}/fail/crm`, retry: FAST_RETRY });
  const ops = await createWebhook({ eventTypes: ['herald.notification.failed'], url: `${receiver.url}/ops/pager`, retry: FAST_RETRY });
  const everything = await createWebhook({ eventTypes: ['*'], url: `${receiver.url}/all`, retry: FAST_RETRY });
  try {
    const posted = await h.api('POST', '/v1/events', { type: eventType, data: { amount: 5 }, entityIds: ['client-1'] });
    expect(posted.status).toBe(202);
    const crm = posted.body.notifications.find((x: { webhookId: string }) => x.webhookId === failing);
    expect(posted.body.notifications.map((x: { webhookId: string }) => x.webhookId).sort()).toEqual([failing, everything].sort());

    const [alert] = await eventually(async () => (at('/ops/pager').length ? at('/ops/pager') : null), 60_000, 'the operator alert');
    const failedView = await waitForStatus(h, crm.id, ['failed']);
    expect(failedView.attemptCount).toBe(FAST_RETRY.maxAttempts);
    const last = failedView.attempts[failedView.attempts.length - 1];

    // Signed like any other delivery, with the operator webhook's own secret.
    const secret = (await h.api('GET', `/v1/webhooks/${ops}/secret`)).body.secret as string;
    const payload = verify(secret, alert) as { type: string; eventId: string; entityIds: string[]; data: Record<string, unknown> };
    expect(payload.type).toBe('herald.notification.failed');
    expect(payload.entityIds).toEqual([failing]);
    expect(payload.data).toEqual({
      notificationId: crm.id,
      webhookId: failing,
      webhookName: expect.any(String),
      eventId: posted.body.id,
      eventType,
      attempts: FAST_RETRY.maxAttempts,
      lastAttempt: { statusCode: 500, errorKind: 'http_status', finishedAt: new Date(last.finishedAt).toISOString() },
    });

    // The stored event is Herald's own, and only the operator webhook got a notification of it.
    const stored = await h.api('GET', `/v1/events/${payload.eventId}`);
    expect(stored.body.type).toBe('herald.notification.failed');
    expect(stored.body.notifications.map((x: { webhookId: string }) => x.webhookId)).toEqual([ops]);
    const listed = await h.api('GET', `/v1/events?type=herald.notification.failed`);
    expect(listed.body.data.find((e: { id: string }) => e.id === payload.eventId).source).toBe('herald');
    expect(at('/all').map((r) => JSON.parse(r.body).type)).toEqual([eventType]);

    // The "*" webhook's own preview says why it would not get one.
    const preview = await h.api('POST', `/v1/webhooks/${everything}/preview`, { event: { type: 'herald.notification.failed', data: payload.data } });
    expect(preview.status).toBe(200);
    expect(preview.body.warnings).toEqual(expect.arrayContaining([expect.stringContaining('"*" does not')]));

    const types = await h.api('GET', '/v1/event-types');
    expect(types.body.data.find((t: { type: string }) => t.type === 'herald.notification.failed')).toMatchObject({ count: 1, latestEventId: payload.eventId, operational: true });
  } finally {
    for (const id of [failing, ops, everything]) await h.api('DELETE', `/v1/webhooks/${id}`);
  }
});

test('an operational webhook that fails emits no herald.notification.failed about its own notification', async () => {
  const eventType = unique('payment.');
  const failing = await createWebhook({ eventTypes: [eventType], url: `${receiver.url}/fail/erp`, retry: ONE_ATTEMPT });
  const brokenOps = await createWebhook({ eventTypes: ['herald.notification.failed'], url: `${receiver.url}/broken/chat`, retry: FAST_RETRY });
  const ops = await createWebhook({ eventTypes: ['herald.notification.failed'], url: `${receiver.url}/ops/chat`, retry: FAST_RETRY });
  try {
    const posted = await h.api('POST', '/v1/events', { type: eventType, data: {} });
    const erp = posted.body.notifications[0].id as string;
    const [about] = await eventually(async () => {
      const found = await failedEventsAbout(erp);
      return found.length ? found : null;
    }, 30_000, 'the herald.notification.failed about the failing webhook');
    const opEvent = await h.api('GET', `/v1/events/${about._id}`);
    const brokenNotification = opEvent.body.notifications.find((x: { webhookId: string }) => x.webhookId === brokenOps).id as string;

    // The broken alert channel exhausts its attempts, and its round is over (the activity that
    // would have emitted has returned).
    await waitForStatus(h, brokenNotification, ['failed']);
    await roundOver(h, notificationWorkflowId(brokenNotification));
    expect(at('/broken/chat')).toHaveLength(FAST_RETRY.maxAttempts);
    expect(await failedEventsAbout(brokenNotification)).toEqual([]);
    // Nothing is left pending for the sweeper to emit later either.
    expect(await h.models.PendingOperationalEvent.countDocuments({ notificationId: brokenNotification })).toBe(0);
    // The healthy operator webhook heard of the first failure only.
    await eventually(async () => at('/ops/chat').length === 1, 30_000, 'the healthy alert');
    expect(at('/ops/chat').map((r) => JSON.parse(r.body).data.notificationId)).toEqual([erp]);
  } finally {
    for (const id of [failing, brokenOps, ops]) await h.api('DELETE', `/v1/webhooks/${id}`);
  }
});

test('a herald.notification.failed that could not be stored after its attempt was recorded is emitted by the dispatch sweeper', async () => {
  const eventType = unique('loan.');
  const failing = await createWebhook({ eventTypes: [eventType], url: `${receiver.url}/fail/lost`, retry: ONE_ATTEMPT });
  const ops = await createWebhook({ eventTypes: ['herald.notification.failed'], url: `${receiver.url}/ops/lost`, retry: FAST_RETRY });
  const sweeper = startDispatchSweeper(h.deps, { intervalMs: 3_600_000, graceMs: 0 });
  try {
    const posted = await h.api('POST', '/v1/events', { type: eventType, data: {} });
    const id = posted.body.notifications[0].id as string;
    await waitForStatus(h, id, ['failed']);
    const [emitted] = await eventually(async () => {
      const events = await failedEventsAbout(id);
      return events.length ? events : null;
    }, 30_000, 'the operational event');
    await eventually(async () => at('/ops/lost').length === 1, 30_000, 'the first alert');
    // The normal path leaves no pending note behind.
    expect(await h.models.PendingOperationalEvent.countDocuments({ notificationId: id })).toBe(0);

    // The state a crash (or MongoDB failing) right after the recording leaves: the attempt is
    // recorded `failed`, the note written before it is there, the event was never stored.
    const { idempotencyKey } = (await h.models.Notification.findById(id).lean())!.attempts[0];
    const key = notificationFailedKey(id, idempotencyKey);
    await h.models.Notification.deleteMany({ eventId: emitted._id });
    await h.models.Event.deleteOne({ _id: emitted._id });
    await h.models.PendingOperationalEvent.create({ _id: key, notificationId: id, idempotencyKey });

    await sweeper.sweep();
    const [again] = await failedEventsAbout(id);
    expect(JSON.parse(again.dataJson!)).toMatchObject({ notificationId: id, webhookId: failing, eventType, attempts: 1, lastAttempt: { statusCode: 500, errorKind: 'http_status' } });
    expect(await h.models.PendingOperationalEvent.countDocuments({ _id: key })).toBe(0);
    await eventually(async () => at('/ops/lost').length === 2, 30_000, 'the alert emitted by the sweeper');
    expect(JSON.parse(at('/ops/lost')[1].body)).toMatchObject({ type: 'herald.notification.failed', data: { notificationId: id } });

    // A note whose round did not end failed (a later success) is dropped without an event.
    await h.models.Notification.updateOne({ _id: id }, { $set: { status: 'sent' } });
    await h.models.PendingOperationalEvent.create({ _id: `${key}:x`, notificationId: id, idempotencyKey: `${idempotencyKey}:x` });
    await sweeper.sweep();
    expect(await h.models.PendingOperationalEvent.countDocuments({ _id: `${key}:x` })).toBe(0);
    expect(await failedEventsAbout(id)).toHaveLength(1);
  } finally {
    sweeper.stop();
    for (const wh of [failing, ops]) await h.api('DELETE', `/v1/webhooks/${wh}`);
  }
});

test('emitting twice with one key stores one event and delivers it once', async () => {
  const ops = await createWebhook({ eventTypes: ['herald.webhook.disabled'], url: `${receiver.url}/ops/disabled`, retry: FAST_RETRY });
  try {
    const key = unique('webhook.disabled:');
    const data = { webhookId: 'wh_0mk2f9a3b4c5d6e7', webhookName: 'CRM', reason: 'failing for 5 days' };
    // Concurrent and then sequential repeats, as a retried activity would make.
    const [a, b] = await Promise.all([emitOperationalEvent(h.deps, 'herald.webhook.disabled', data, { key }), emitOperationalEvent(h.deps, 'herald.webhook.disabled', data, { key })]);
    const c = await emitOperationalEvent(h.deps, 'herald.webhook.disabled', data, { key });
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(c.created).toBe(false);
    expect(new Set([a.event.id, b.event.id, c.event.id]).size).toBe(1);
    expect(c.event.notifications.map((x) => x.webhookId)).toEqual([ops]);
    expect(await h.models.Event.countDocuments({ type: 'herald.webhook.disabled' })).toBe(1);

    await waitForStatus(h, c.event.notifications[0].id, ['sent']);
    expect(at('/ops/disabled')).toHaveLength(1);
    expect(JSON.parse(at('/ops/disabled')[0].body)).toMatchObject({ type: 'herald.webhook.disabled', eventId: c.event.id, entityIds: [data.webhookId], data });

    // Another key is another event.
    const other = await emitOperationalEvent(h.deps, 'herald.webhook.disabled', data, { key: `${key}:again` });
    expect(other.created).toBe(true);
    expect(other.event.id).not.toBe(c.event.id);
  } finally {
    await h.api('DELETE', `/v1/webhooks/${ops}`);
  }
});
