/**
 * Endpoint health and flow control on the real stack, with real receivers that go down, recover
 * and are slow: the circuit breaker (opens, holds notifications without using attempts, one probe
 * per cool-down, closes on success and lets the backlog go), auto-disable after continuous failure,
 * and per-webhook rate and concurrency limits held across two workers. Thresholds here are small
 * per-webhook overrides; the product defaults are in src/flow-control/circuit.ts.
 */
import { startWorker, type RunningWorker } from '../../src/worker';
import { takeLease, takeRatePermit } from '../../src/flow-control/limits';
import { createEndpointHealth } from '../../src/flow-control/endpoint-health';
import { eventually, waitForStatus, useHeraldAndReceiver } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver();

/** A webhook for a fresh event type on its own receiver path. */
async function webhook(fields: Record<string, unknown>): Promise<{ id: string; type: string; path: string }> {
  const type = `t${Math.random().toString(36).slice(2, 10)}.health`;
  const path = `/${type}`;
  const created = await h.api('POST', '/v1/webhooks', { name: type, eventTypes: [type], url: `${receiver.url}${path}`, ...fields });
  expect(created.status).toBe(201);
  return { id: created.body.id, type, path };
}

async function post(type: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await h.api('POST', '/v1/events', { type, data: { i } });
    expect(res.status).toBe(202);
    ids.push(res.body.notifications[0].id);
  }
  return ids;
}

const hits = (path: string) => receiver.requests.filter((r) => r.url === path);

/** The operational events about one webhook that reached the operator webhook (see beforeAll). */
const alerts = (webhookId: string) =>
  hits('/ops').map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> }).filter((e) => e.data.webhookId === webhookId);

// An operator subscribes to the health events by name, like any webhook.
beforeAll(async () => {
  const ops = await h.api('POST', '/v1/webhooks', {
    name: 'ops',
    eventTypes: ['herald.webhook.circuit_opened', 'herald.webhook.circuit_closed', 'herald.webhook.disabled'],
    url: `${receiver.url}/ops`,
  });
  expect(ops.status).toBe(201);
});

test('the circuit opens after N failures in a row, holds notifications without using attempts, probes once per cool-down, and closes on success', async () => {
  let down = true;
  const hook = await webhook({
    retry: { maxAttempts: 30, initialIntervalSeconds: 1, backoffCoefficient: 1, maxIntervalSeconds: 1 },
    circuitBreaker: { failureThreshold: 3, cooldownSeconds: 3 },
  });
  receiver.respond((req) => (req.url === hook.path && down ? { status: 503 } : { status: 200 }));
  const ids = await post(hook.type, 4);

  // Opens once 3 attempts in a row failed.
  const open = await eventually(async () => {
    const w = await h.api('GET', `/v1/webhooks/${hook.id}`);
    return w.body.health.state === 'open' ? w.body.health : null;
  }, 30_000, 'the circuit to open');
  expect(open).toMatchObject({ consecutiveFailures: expect.any(Number), thresholds: { failureThreshold: 3, cooldownSeconds: 3 } });
  expect(open.consecutiveFailures).toBeGreaterThanOrEqual(3);
  expect(Date.parse(open.nextProbeAt)).toBeGreaterThan(Date.parse(open.since));
  expect(open.recent.failures).toBeGreaterThanOrEqual(3);
  expect(open.recent.failureRate).toBe(1);

  // While open, notifications wait: held, no attempt used, visible in the API and in Temporal.
  const held = await eventually(async () => {
    const n = await h.api('GET', `/v1/notifications/${ids[3]}`);
    return n.body.heldReason === 'circuit_open' ? n.body : null;
  }, 30_000, 'a notification to be held');
  expect(['pending', 'retrying']).toContain(held.status);
  // The Temporal view: a held retry's pending activity says why it waits and until when.
  const heldActivity = await eventually(async () => {
    for (const id of ids) {
      const desc = await h.temporal.client.workflow.getHandle(`notification-${id}`).describe();
      const failure = desc.raw.pendingActivities?.[0]?.lastFailure;
      if (failure?.applicationFailureInfo?.type === 'DeliveryHeld') return failure.message;
    }
    return null;
  }, 30_000, 'a held retry in Temporal');
  expect(heldActivity).toMatch(new RegExp(`^held: circuit open for webhook ${hook.id} until \\d{4}-`));
  const metrics = await (await fetch(`${h.url}/metrics`)).text();
  expect(metrics).toContain(`herald_webhook_circuit_state{webhook="${hook.id}",state="open"} 1`);

  // One probe per cool-down while still down: the failed probe reopens it with a longer cool-down.
  const before = hits(hook.path).length;
  const reopened = await eventually(async () => {
    const w = await h.api('GET', `/v1/webhooks/${hook.id}`);
    return hits(hook.path).length > before && w.body.health.state === 'open' && Date.parse(w.body.health.nextProbeAt) > Date.parse(open.nextProbeAt) ? w.body.health : null;
  }, 30_000, 'a failed probe');
  expect(hits(hook.path).length - before).toBe(1);
  // The second cool-down is twice the first.
  expect(Date.parse(reopened.nextProbeAt) - Date.parse(reopened.since)).toBeGreaterThanOrEqual(6000);

  // The receiver recovers: the next probe succeeds, the circuit closes, the backlog goes out.
  down = false;
  for (const id of ids) await waitForStatus(h, id, ['sent'], 60_000);
  const closed = await h.api('GET', `/v1/webhooks/${hook.id}`);
  expect(closed.body.health).toMatchObject({ state: 'closed', consecutiveFailures: 0, failingSince: null, nextProbeAt: null });
  // Holding used no attempts: far fewer than the 30 each could have made.
  const attempts = await Promise.all(ids.map(async (id) => (await h.api('GET', `/v1/notifications/${id}`)).body.attemptCount as number));
  expect(attempts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(hits(hook.path).length);
  for (const n of attempts) expect(n).toBeLessThanOrEqual(6);
  expect(await (await fetch(`${h.url}/metrics`)).text()).toMatch(/herald_attempts_held_total\{reason="circuit_open"\} [1-9]/);
  expect(await (await fetch(`${h.url}/metrics`)).text()).toMatch(/herald_webhook_health_changes_total\{change="circuit_closed"\} [1-9]/);

  // The operator heard of the opening and the closing, once each (a failed probe is no new opening).
  const heard = await eventually(async () => {
    const a = alerts(hook.id);
    return a.length >= 2 ? a : null;
  }, 30_000, 'the operator alerts');
  expect(heard.map((e) => e.type)).toEqual(['herald.webhook.circuit_opened', 'herald.webhook.circuit_closed']);
  expect(heard[0].data).toMatchObject({ webhookId: hook.id, webhookName: hook.type, failureThreshold: 3 });
  // The opening's times are the stored ones, give or take racing openers: several attempts failing
  // at the threshold in the same moment may each write the open state on the embedded FerretDB 1.x
  // (its conditional updates are not atomic; one of them reports), milliseconds apart (CI saw 5 ms).
  expect(Math.abs(Date.parse(heard[0].data.openedAt as string) - Date.parse(open.since))).toBeLessThan(1000);
  expect(Math.abs(Date.parse(heard[0].data.nextProbeAt as string) - Date.parse(open.nextProbeAt))).toBeLessThan(1000);
  expect(heard[1].data).toMatchObject({ webhookId: hook.id, openedAt: expect.any(String), closedAt: expect.any(String) });
}, 120_000);

test('a webhook failing continuously past its auto-disable period is disabled with a reason; its notifications stop; re-enabling is explicit and starts afresh', async () => {
  const hook = await webhook({
    retry: { maxAttempts: 30, initialIntervalSeconds: 1, backoffCoefficient: 1, maxIntervalSeconds: 1 },
    circuitBreaker: { failureThreshold: 100 },
    autoDisableAfterSeconds: 2,
  });
  receiver.respond((req) => (req.url === hook.path ? { status: 500 } : { status: 200 }));
  const [id] = await post(hook.type, 1);

  const disabled = await eventually(async () => {
    const w = await h.api('GET', `/v1/webhooks/${hook.id}`);
    return w.body.enabled === false ? w.body : null;
  }, 30_000, 'the webhook to be disabled');
  expect(disabled.disabledReason).toMatch(/^failing continuously since .+ \(auto-disable after 2 s\)$/);
  expect(Date.parse(disabled.disabledAt)).toBeGreaterThanOrEqual(Date.parse(disabled.health.failingSince) + 2000);
  const n = await waitForStatus(h, id, ['cancelled'], 30_000);
  expect(n.cancelReason).toBe('webhook_disabled');
  const attemptsAtStop = hits(hook.path).length;

  // Re-enabled by the operator: the reason and the failure streak are gone; nothing is re-sent by itself.
  const enabled = await h.api('PATCH', `/v1/webhooks/${hook.id}`, { enabled: true });
  expect(enabled.status).toBe(200);
  expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
  const after = await h.api('GET', `/v1/webhooks/${hook.id}`);
  expect(after.body.health).toMatchObject({ state: 'closed', consecutiveFailures: 0, failingSince: null });
  expect((await h.api('GET', `/v1/notifications/${id}`)).body.status).toBe('cancelled');
  expect(hits(hook.path).length).toBe(attemptsAtStop);

  const [alert] = await eventually(async () => (alerts(hook.id).length ? alerts(hook.id) : null), 30_000, 'the disabled alert');
  expect(alert).toEqual({
    ...alert,
    type: 'herald.webhook.disabled',
    data: { webhookId: hook.id, webhookName: hook.type, disabledAt: disabled.disabledAt, failingSince: disabled.health.failingSince, reason: disabled.disabledReason },
  });
}, 90_000);

describe('limits hold across two workers', () => {
  let second: RunningWorker;
  beforeAll(async () => {
    second = await startWorker({
      config: h.config,
      temporalAddress: h.config.temporal.address!,
      models: h.models,
      secretBox: h.deps.secretBox,
      logger: h.deps.logger,
      workflowBundlePath: process.env.HERALD_TEST_BUNDLE,
    });
  });
  afterAll(async () => second?.shutdown());

  test('rateLimit perSecond: a burst is queued, never more than N attempts start in one second, no attempt is used by waiting', async () => {
    const hook = await webhook({ rateLimit: { perSecond: 4 } });
    receiver.respond(() => ({ status: 200 }));
    const ids = await post(hook.type, 16);
    const sent = await Promise.all(ids.map((id) => waitForStatus(h, id, ['sent'], 60_000)));
    const starts = sent.map((n) => Date.parse(n.attempts[0].startedAt));
    const perSecond = new Map<number, number>();
    for (const t of starts) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    // A permit is taken before the request starts, and on a loaded machine the start can land in the
    // next second, so the starts are only roughly bounded (the permits themselves are counted
    // exactly in the next test). Unlimited, all 16 start within about one second.
    for (const count of perSecond.values()) expect(count).toBeLessThanOrEqual(8);
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(2000);
    for (const n of sent) expect(n.attemptCount).toBe(1);
    expect(hits(hook.path)).toHaveLength(16);
  }, 90_000);

  test('permits are exact under contention: N per window, N leases, one probe; expired ones are taken over', async () => {
    const now = new Date();
    const webhookId = `wh_permits${Date.now()}`;
    const rate = await Promise.all(Array.from({ length: 7 }, () => takeRatePermit(h.models, webhookId, { perSecond: 4 }, now)));
    expect(rate.filter((p) => p.ok)).toHaveLength(4);
    const nextWindow = (Math.floor(now.getTime() / 1000) + 1) * 1000;
    for (const p of rate.filter((r) => !r.ok)) expect(p).toEqual({ ok: false, retryAt: new Date(nextWindow) });
    expect((await takeRatePermit(h.models, webhookId, { perSecond: 4 }, new Date(nextWindow))).ok).toBe(true);

    const lease = (holder: string, at = now) => takeLease(h.models, webhookId, 2, { holder, leaseMs: 5000, now: at });
    const leases = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((x) => lease(x)));
    expect(leases.filter((l) => l.ok)).toHaveLength(2);
    const first = leases.find((l) => l.ok) as { ok: true; release: () => Promise<void> };
    await first.release();
    expect((await lease('f')).ok).toBe(true);
    expect((await lease('g')).ok).toBe(false);
    // Both holders "died": after their leases' 5 s, the slots are taken over.
    const later = new Date(now.getTime() + 6000);
    expect((await Promise.all([lease('h', later), lease('i', later), lease('j', later)])).filter((l) => l.ok)).toHaveLength(2);

    // One probe per open period, whoever asks at once; after that probe's lease expires, one takeover.
    await h.models.WebhookHealth.create({ _id: webhookId, state: 'open', consecutiveFailures: 10, openings: 1, nextProbeAt: new Date(now.getTime() - 1000) });
    const health = () => createEndpointHealth({ models: h.models, logger: h.deps.logger, defaults: h.config.circuit });
    const claims = await Promise.all(Array.from({ length: 5 }, () => health().claimProbe(webhookId, now, 5000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await health().claimProbe(webhookId, new Date(now.getTime() + 1000), 5000)).toBe(false);
    const takeovers = await Promise.all(Array.from({ length: 3 }, () => health().claimProbe(webhookId, new Date(now.getTime() + 6000), 5000)));
    expect(takeovers.filter(Boolean)).toHaveLength(1);

    // A claimer that died right after claiming the open period (its permit taken, the circuit never
    // marked half-open): once that claim's lease has passed, one other worker takes the probe over.
    const stuckId = `${webhookId}_stuck`;
    const nextProbeAt = new Date(now.getTime() - 1000);
    await h.models.WebhookHealth.create({ _id: stuckId, state: 'open', consecutiveFailures: 10, openings: 1, nextProbeAt });
    await h.models.DeliveryPermit.create({ _id: `${stuckId}:probe:open:${nextProbeAt.getTime()}`, webhookId: stuckId, kind: 'probe', n: 0, until: new Date(now.getTime() + 5000) });
    expect(await health().claimProbe(stuckId, now, 5000)).toBe(false);
    const afterLease = new Date(now.getTime() + 6000);
    const rescues = await Promise.all(Array.from({ length: 3 }, () => health().claimProbe(stuckId, afterLease, 5000)));
    expect(rescues.filter(Boolean)).toHaveLength(1);
    expect(await h.models.WebhookHealth.findById(stuckId).lean()).toMatchObject({ state: 'half-open', probeUntil: new Date(afterLease.getTime() + 5000) });
  });

  test('an expired lease is taken over by one taker only, round after round', async () => {
    // Holders that died leave their slots behind; every taker sees them expired at once. Before
    // takeover permits, a slow taker's conditional delete could remove a fast one's fresh lease
    // (FerretDB reads, then deletes by _id) and two workers held one slot.
    const webhookId = `wh_takeover${Date.now()}`;
    let at = Date.now();
    for (let round = 0; round < 8; round++) {
      const takers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => takeLease(h.models, webhookId, 2, { holder: `r${round}t${i}`, leaseMs: 1000, now: new Date(at) })),
      );
      expect(takers.filter((l) => l.ok)).toHaveLength(2);
      const holders = await h.models.DeliveryPermit.find({ webhookId, kind: 'lease' }).lean();
      expect(holders.map((l) => l.n).sort()).toEqual([0, 1]);
      at += 2000; // every lease of this round has expired by the next
    }
  });

  test('each health change is reported once, however many workers decide it at the same moment', async () => {
    const webhook = { _id: `wh_${Math.random().toString(36).slice(2, 12)}`, name: 'race', circuitBreaker: { failureThreshold: 2, cooldownSeconds: 60 }, autoDisableAfterSeconds: 0 };
    const changes: string[] = [];
    const worker = () =>
      createEndpointHealth({ models: h.models, logger: h.deps.logger, defaults: h.config.circuit, onChange: async (c) => void changes.push(c.type) });
    const now = new Date();
    await worker().record(webhook, 'failure', { now });
    // Eight failures past the threshold at once, from four "workers": one opening.
    const workers = [worker(), worker(), worker(), worker()];
    await Promise.all(Array.from({ length: 8 }, (_, i) => workers[i % 4].record(webhook, 'failure', { now })));
    expect(changes).toEqual(['circuit_opened']);
    expect(await h.models.WebhookHealth.findById(webhook._id).lean()).toMatchObject({ state: 'open', openings: 1 });
    // Attempts that were in flight when it opened all succeed at once: one closing.
    const later = new Date(now.getTime() + 1000);
    await Promise.all(Array.from({ length: 8 }, (_, i) => workers[i % 4].record(webhook, 'success', { now: later })));
    expect(changes).toEqual(['circuit_opened', 'circuit_closed']);
    expect(await h.models.WebhookHealth.findById(webhook._id).lean()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  test('maxConcurrency: never more requests in flight at the receiver than allowed', async () => {
    const hook = await webhook({ maxConcurrency: 2, timeoutSeconds: 10 });
    let inFlight = 0;
    let peak = 0;
    receiver.respond(async (req) => {
      if (req.url !== hook.path) return { status: 200 };
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 300));
      inFlight--;
      return { status: 200 };
    });
    const ids = await post(hook.type, 10);
    const sent = await Promise.all(ids.map((id) => waitForStatus(h, id, ['sent'], 60_000)));
    expect(peak).toBe(2);
    for (const n of sent) expect(n.attemptCount).toBe(1);
  }, 90_000);

  test('limits and thresholds are validated, naming the field and the rule', async () => {
    const res = await h.api('POST', '/v1/webhooks', {
      name: 'bad',
      eventTypes: ['x'],
      url: `${receiver.url}/x`,
      rateLimit: { perHour: 3 },
      maxConcurrency: 0,
      circuitBreaker: { failureThreshold: 0 },
      autoDisableAfterSeconds: -1,
    });
    expect(res.status).toBe(400);
    const problems = Object.fromEntries((res.body.error.details as Array<{ path: string; message: string }>).map((d) => [d.path, d.message]));
    expect(problems).toMatchObject({
      rateLimit: 'must be {"perSecond": N} or {"perMinute": N}',
      maxConcurrency: 'must be at least 1',
      'circuitBreaker.failureThreshold': 'must be at least 1',
      autoDisableAfterSeconds: 'must be 0 (never) or more',
    });
  });
});
