/**
 * Prometheus metrics (prom-client), one registry per process. Attempt counters and durations are
 * counted where attempts happen (the worker); notifications by status are read from MongoDB at
 * scrape time so every API process reports the same truth.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AttemptResult } from './delivery/send';
import type { Models } from './models';
import { acrossAccounts, currentScope, DEFAULT_ACCOUNT, inAccount } from './accounts/scope';
import { logEndFrom } from './stream/log';
import type { HoldReason } from '../workflows/status';
import type { HealthChange } from './flow-control/endpoint-health';
import { NOTIFICATION_STATUSES } from './models/notification';

export interface Metrics {
  registry: Registry;
  recordAttempt(result: AttemptResult): void;
  recordStatusChange(from: string, to: string): void;
  /** An attempt held by a webhook's circuit breaker or limits (nothing sent). */
  recordHeld(reason: HoldReason): void;
  /** A circuit breaker or auto-disable change this process decided. */
  recordHealthChange(change: HealthChange['type']): void;
  /** Lets /metrics report notifications by status (and open circuits) from the database. */
  observeNotifications(models: Models): void;
  /** A stream of the Streaming API opened or ended on this process (herald_streams_open). */
  streamOpened(): void;
  streamClosed(): void;
}

/** How many distinct accounts get their own `account` label in this process; the rest are `other`. */
export const MAX_ACCOUNT_LABELS = 200;

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'herald_' });

  const attempts = new Counter({
    name: 'herald_attempts_total',
    help: 'Delivery attempts by outcome (success, http_status, timeout, connection, tls, blocked)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'herald_attempt_duration_seconds',
    help: 'Duration of delivery attempts, from request start to the end of the (capped) response body',
    labelNames: ['outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'herald_notification_transitions_total',
    help: 'Notification status changes made by this process',
    labelNames: ['to'],
    registers: [registry],
  });
  // Per account: the same figures with an `account` label, kept apart from the unlabelled series
  // dashboards already use. The label is bounded: past MAX_ACCOUNT_LABELS accounts, `other`.
  const accountAttempts = new Counter({
    name: 'herald_account_attempts_total',
    help: 'Delivery attempts by account and outcome',
    labelNames: ['account', 'outcome'],
    registers: [registry],
  });
  const labelled = new Set<string>();
  const accountLabel = (accountId: string | null) => {
    if (!accountId) return 'other';
    if (labelled.has(accountId)) return accountId;
    if (labelled.size >= MAX_ACCOUNT_LABELS) return 'other';
    labelled.add(accountId);
    return accountId;
  };
  let models: Models | undefined;
  new Gauge({
    name: 'herald_account_notifications',
    help: 'Notifications by account and status (from MongoDB, at scrape time)',
    labelNames: ['account', 'status'],
    registers: [registry],
    async collect() {
      if (!models) return;
      this.reset();
      const m = models;
      const rows = await acrossAccounts(() =>
        m.Notification.aggregate<{ _id: { a: string | null; s: string }; n: number }>([{ $group: { _id: { a: '$accountId', s: '$status' }, n: { $sum: 1 } } }]),
      );
      for (const r of rows) this.inc({ account: accountLabel(r._id.a ?? DEFAULT_ACCOUNT), status: r._id.s }, r.n);
    },
  });
  new Gauge({
    name: 'herald_notifications',
    help: 'Notifications by status (from MongoDB, at scrape time)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      if (!models) return;
      // One pass over the collection (a $group), not one count per status.
      const m = models;
      const rows = await acrossAccounts(() => m.Notification.aggregate<{ _id: string; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]));
      const byStatus = new Map(rows.map((r) => [r._id, r.n]));
      for (const s of NOTIFICATION_STATUSES) this.set({ status: s }, byStatus.get(s) ?? 0);
    },
  });

  const held = new Counter({
    name: 'herald_attempts_held_total',
    help: 'Automatic attempts held (nothing sent, no attempt used) by reason: circuit_open, rate_limited, concurrency_limited',
    labelNames: ['reason'],
    registers: [registry],
  });
  const healthChanges = new Counter({
    name: 'herald_webhook_health_changes_total',
    help: 'Endpoint health changes decided by this process: circuit_opened, circuit_closed, disabled',
    labelNames: ['change'],
    registers: [registry],
  });
  new Gauge({
    name: 'herald_webhook_circuit_state',
    help: 'Webhooks whose circuit is not closed, by webhook and state (1), from MongoDB at scrape time',
    labelNames: ['webhook', 'state'],
    registers: [registry],
    async collect() {
      if (!models) return;
      this.reset();
      const m = models;
      const unhealthy = await acrossAccounts(() => m.WebhookHealth.find({ state: { $in: ['open', 'half-open'] } }, { state: 1 }).lean());
      for (const h of unhealthy) this.set({ webhook: h._id, state: h.state }, 1);
    },
  });

  const streamsOpen = new Gauge({
    name: 'herald_streams_open',
    help: 'Streams of the Streaming API open on this process',
    registers: [registry],
  });
  new Gauge({
    name: 'herald_stream_lag_events',
    help: 'Events in the stream log past a stream subscription\'s committed cursor, by account, subscription and partition (from MongoDB at scrape time)',
    labelNames: ['account', 'subscription', 'partition'],
    registers: [registry],
    async collect() {
      if (!models) return;
      const m = models;
      this.reset();
      // Housekeeping view over every account: the cursors carry their accountId. The log's end per
      // (account, partition) is followed from the lowest cursor there by _id (src/stream/log.ts).
      // A page of the `_id` index at a time (query shape streamCursors.page).
      type Cursor = { _id: string; accountId: string; subscriptionId: string; partition: number; offset: number };
      const cursors: Cursor[] = [];
      for (;;) {
        const after = cursors.length ? cursors[cursors.length - 1]._id : '';
        const page = await acrossAccounts(() =>
          m.StreamCursor.find({ _id: { $gt: after } }, { accountId: 1, subscriptionId: 1, partition: 1, offset: 1 }).sort({ _id: 1 }).limit(1000).lean<Cursor[]>(),
        );
        cursors.push(...page);
        if (page.length < 1000) break;
      }
      const lowest = new Map<string, { accountId: string; partition: number; offset: number }>();
      for (const c of cursors) {
        const key = `${c.accountId}:${c.partition}`;
        if ((lowest.get(key)?.offset ?? Infinity) > c.offset) lowest.set(key, c);
      }
      const last = new Map<string, number>();
      for (const [key, c] of lowest) last.set(key, await inAccount(c.accountId, () => logEndFrom(m, c.partition, c.offset)));
      for (const c of cursors) {
        const lag = Math.max(0, (last.get(`${c.accountId}:${c.partition}`) ?? 0) - c.offset);
        this.set({ account: c.accountId, subscription: c.subscriptionId, partition: String(c.partition) }, lag);
      }
    },
  });

  return {
    registry,
    streamOpened() {
      streamsOpen.inc();
    },
    streamClosed() {
      streamsOpen.dec();
    },
    recordHeld(reason) {
      held.inc({ reason });
    },
    recordHealthChange(change) {
      healthChanges.inc({ change });
    },
    recordAttempt(result) {
      const outcome = result.ok ? 'success' : (result.error?.kind ?? 'error');
      attempts.inc({ outcome });
      const scope = currentScope();
      accountAttempts.inc({ account: accountLabel(scope && 'accountId' in scope ? scope.accountId : null), outcome });
      duration.observe({ outcome }, result.durationMs / 1000);
    },
    recordStatusChange(from, to) {
      if (from !== to) transitions.inc({ to });
    },
    observeNotifications(m) {
      models = m;
    },
  };
}
