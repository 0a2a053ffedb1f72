/**
 * `npm run bench -- --history 10000,100000,1000000`: does the communication history stay usable as
 * it grows? On the embedded stack (`npm start`'s shape: Temporal dev server, FerretDB, the API and
 * a worker in this process), for each size N in turn:
 *
 * 1. Real data first, through Herald's own paths: a few accounts (POST /v1/accounts and keys), a
 *    few webhooks each (receivers on two loopback hosts answering 200, one answering 503, one
 *    refusing connections, one retrying then disabled), and real events (POST /v1/events), so real
 *    notifications with attempts, request snapshots and entities exist.
 * 2. The store grown to N notifications and about N/2 events by copying those documents with new
 *    ids (src/ids.ts: they keep sorting by creation time), times spread over 30 days, a mix of
 *    statuses (each copy takes the status fields of a real notification in that status), busy
 *    entities, and one entity with exactly 3 notifications; written straight to the collections
 *    (insertMany, unordered, 1000 a batch). Collections derived from the history (rollups, links)
 *    are filled for the copies too: one function each in scripts/bench/history-derived.ts.
 * 3. The store's idle CPU, accept→delivered latency (one event at a time to a fresh webhook,
 *    against the same measured on the empty store at the start), then every read path of the API
 *    and the console timed with real requests (account key and admin key): p50/p99, or the answer's
 *    HTTP status when it is not 2xx, or `timeout` (the request is given up, and the store is let
 *    finish the abandoned query before the next path is timed).
 *
 * `--purge` then adds `--purge-count` expired documents (default: the largest size) and runs the
 * retention purge (POST /v1/retention/purge) while events are delivered at a steady pace: delivery
 * latency during the purge against before it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { loadSecrets, openConnections } from '../../src/runtime';
import { startApiAndWorker } from '../../src/worker';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { createApp } from '../../src/app';
import { listen } from '../../src/boot';
import { newId } from '../../src/ids';
import { freePort } from '../../src/embedded/child-process';
import type { Models } from '../../src/models';
import { Report } from './report';
import { summarize } from './stats';
import { cpuDelta, cpuSnapshot, type TrackedProcess } from './proc';
import { installQuietTemporalRuntime, startBenchStack } from './stack';
import { startBenchReceiver, type BenchReceiver } from './receiver';
import { latencies, oneAtATime, paced, type PostEvent } from './load';
import { derivedFillers, type CopiedBatch, type DerivedFiller } from './history-derived';

export interface HistoryBenchOptions {
  sizes: number[];
  /** Requests per read path (fewer when a path's budget runs out first). */
  reps: number;
  /** Wall time spent timing one read path, at most (after its first request). */
  pathBudgetMs: number;
  requestTimeoutMs: number;
  idleSeconds: number;
  /** Events posted one at a time for accept→delivered latency. */
  latencyEvents: number;
  purge: boolean;
  purgeCount: number | null;
  json?: string;
}

const DAY = 86_400_000;
const MiB = 2 ** 20;
const BATCH = 1000;

type Doc = Record<string, any>;

export async function runHistoryBench(o: HistoryBenchOptions): Promise<void> {
  const report = new Report();
  report.set('machine.cores', os.cpus().length);
  report.set('machine.node', process.version);
  report.set('history.sizes', o.sizes.join(','));
  const bench = await startBenchStack({ name: 'herald-history', temporal: true, mongo: true });
  const { dataDir, stack, procs } = bench;
  try {
    const config = loadConfig({
      PORT: '0',
      TEMPORAL_ADDRESS: stack.temporalAddress,
      MONGODB_URI: `${stack.mongoUriBase}/herald_history`,
      HERALD_DATA_DIR: dataDir,
      HERALD_ALLOW_PRIVATE_DESTINATIONS: 'true',
      HERALD_LOG_LEVEL: 'warn',
    });
    const logger = createLogger(config.logLevel, new Writable({ write: (_c, _e, cb) => cb() }));
    const secrets = loadSecrets(config);
    const connections = await openConnections(config, { temporalAddress: stack.temporalAddress!, mongodbUri: config.mongodbUri! }, logger);
    installQuietTemporalRuntime();
    const bundlePath = path.join(dataDir, 'bundle.js');
    writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: silent() })).code);
    // The same composition as `npm start` (src/main.ts), as scripts/bench.ts runs it.
    const { deps, worker } = await startApiAndWorker({ config, connections, secrets, logger, metrics: createMetrics(), temporalAddress: stack.temporalAddress!, workflowBundlePath: bundlePath });
    const server = await listen(createApp(deps), 0, '127.0.0.1');
    const receivers = { a: await startBenchReceiver(), b: await startBenchReceiver() };
    const failing = await startFailingReceiver();
    const client = new Client(server.url, o.requestTimeoutMs);
    const adminKey = secrets.apiKeys[0];
    const ferret = procs.find((p) => p.name === 'ferretdb');
    try {
      const seed = await seedRealData(client, adminKey, receivers, failing.url, deps.models);
      report.set('history.real.accounts', seed.accounts.length);
      report.set('history.real.webhooks', seed.webhooks);
      report.set('history.real.events', seed.templates.length);
      report.set('history.real.notifications', seed.realNotifications);
      for (const [status, n] of Object.entries(seed.donorCounts)) report.set(`history.real.notifications_by_status.${status}`, n);
      const lab = { client, models: deps.models, receivers, seed, report, procs, ferret, o };

      // The empty store's figures, to compare each size with.
      const empty = await deliveryLatency(lab, 'empty');
      report.set('history.empty.delivery.p50_ms', empty.p50, 1);
      report.set('history.empty.delivery.p99_ms', empty.p99, 1);
      await idleCpu(lab, 'history.empty');

      const copier = new Copier(deps.models, seed, o.sizes[o.sizes.length - 1]);
      let stored = seed.realNotifications;
      for (const size of o.sizes) {
        const k = `history.${size}`;
        report.set(`${k}.loadavg_before`, os.loadavg().map((l) => l.toFixed(2)).join(' '));
        const t0 = performance.now();
        const cpuBefore = cpuSnapshot(procs);
        const added = await copier.grow(Math.max(0, size - stored), { from: Date.now() - 30 * DAY + 3_600_000, to: Date.now() - 120_000, statuses: STATUS_MIX });
        const seconds = (performance.now() - t0) / 1000;
        // Who the filling kept busy: the bench's process makes the copies, the store writes them.
        for (const [proc, ms] of cpuDelta(cpuBefore, cpuSnapshot(procs))) report.set(`${k}.fill.cpu_percent_of_one_core.${proc}`, ms / 10 / seconds, 0);
        stored += added.notifications;
        report.set(`${k}.notifications`, stored);
        report.set(`${k}.events_added`, added.events);
        report.set(`${k}.fill.seconds`, seconds, 1);
        report.set(`${k}.fill.docs_per_s`, (added.notifications + added.events) / Math.max(0.001, seconds), 0);
        report.set(`${k}.fill.notifications_per_s`, added.notifications / Math.max(0.001, seconds), 0);
        report.set(`${k}.store_mib`, dirBytes(path.join(dataDir, 'ferretdb')) / MiB, 1);
        await settle(lab, 5_000);
        await idleCpu(lab, k);
        const lat = await deliveryLatency(lab, String(size));
        report.set(`${k}.delivery.p50_ms`, lat.p50, 1);
        report.set(`${k}.delivery.p99_ms`, lat.p99, 1);
        report.set(`${k}.delivery.p50_over_empty`, lat.p50 / Math.max(0.001, empty.p50), 2);
        await checkCopies(lab, k);
        report.set(`${k}.loadavg_before_reads`, os.loadavg().map((l) => l.toFixed(2)).join(' '));
        await timeReads(lab, k, copier);
      }
      if (o.purge) await purgePhase(lab, copier, o.purgeCount ?? o.sizes[o.sizes.length - 1]);
      for (const [proc, bytes] of bench.memory.peaks('run')) report.set(`run.peak_rss_mib.${proc}`, bytes / MiB, 0);
      if (o.json) writeFileSync(o.json, `${JSON.stringify(report.toJSON(), null, 2)}\n`);
    } finally {
      await client.close();
      await receivers.a.close();
      await receivers.b.close();
      await failing.close();
      await server.close();
      await worker.shutdown();
      await connections.close();
    }
  } finally {
    await bench.stop();
  }
}

interface Lab {
  client: Client;
  models: Models;
  receivers: { a: BenchReceiver; b: BenchReceiver };
  seed: Seed;
  report: Report;
  procs: TrackedProcess[];
  ferret: TrackedProcess | undefined;
  o: HistoryBenchOptions;
}

// ---------------------------------------------------------------------------------------------
// HTTP

type Answer = { status: number | 'timeout' | 'error'; ms: number; json: any; error?: string };

class Client {
  constructor(
    readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  async call(key: string, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const t0 = performance.now();
    try {
      const res = await fetch(`${this.url}${p}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      const ms = performance.now() - t0;
      let json: any = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = text;
      }
      return { status: res.status, ms, json };
    } catch (err) {
      const e = err as Error;
      const ms = performance.now() - t0;
      if (e.name === 'TimeoutError' || e.name === 'AbortError') return { status: 'timeout', ms, json: null };
      return { status: 'error', ms, json: null, error: e.message };
    }
  }

  /** For the seeding: anything but 2xx throws. */
  async ok(key: string, method: string, p: string, body?: unknown): Promise<any> {
    const a = await this.call(key, method, p, body);
    if (typeof a.status !== 'number' || a.status >= 300) throw new Error(`${method} ${p}: ${a.status} ${a.error ?? JSON.stringify(a.json)}`);
    return a.json;
  }

  async close(): Promise<void> {}
}

// ---------------------------------------------------------------------------------------------
// Real data through Herald's own paths

interface SeedAccount {
  id: string;
  key: string;
  /** Share of the copies. */
  weight: number;
  webhooks: Record<string, string>;
}

interface Template {
  event: Doc;
  notifications: Doc[];
}

interface Seed {
  accounts: SeedAccount[];
  webhooks: number;
  templates: Template[];
  /** Real notifications by status: each copy takes its status fields from one of them. */
  donors: Map<string, Doc[]>;
  donorCounts: Record<string, number>;
  realNotifications: number;
  /** Busy entities per account: customer-0000… */
  entities: number;
  rareEntity: string;
  /** Hosts the real webhooks send to. */
  hosts: { b: string };
}

/** Event types: how many of each account's webhooks take it (2 on average, weighted below). */
const EVENT_TYPES: Array<{ type: string; weight: number }> = [
  { type: 'order.created', weight: 0.2 },
  { type: 'order.paid', weight: 0.2 },
  { type: 'invoice.issued', weight: 0.15 },
  { type: 'customer.updated', weight: 0.2 },
  { type: 'shipment.sent', weight: 0.2 },
  { type: 'audit.noted', weight: 0.05 },
];

/** The copies' statuses. */
const STATUS_MIX: Array<[string, number]> = [
  ['sent', 0.86],
  ['failed', 0.08],
  ['cancelled', 0.03],
  ['retrying', 0.015],
  ['pending', 0.015],
];
const FINAL_MIX: Array<[string, number]> = [
  ['sent', 0.88],
  ['failed', 0.09],
  ['cancelled', 0.03],
];

const entity = (n: number) => `customer-${String(n).padStart(6, '0')}`;
const RARE_ENTITY = 'rare-entity-3-in-n';

async function seedRealData(client: Client, adminKey: string, receivers: { a: BenchReceiver; b: BenchReceiver }, failingUrl: string, models: Models): Promise<Seed> {
  const accounts: SeedAccount[] = [{ id: 'default', key: adminKey, weight: 0.35, webhooks: {} }];
  for (const [name, weight] of [['acme', 0.35], ['globex', 0.2], ['initech', 0.1]] as const) {
    const account = await client.ok(adminKey, 'POST', '/v1/accounts', { name });
    const { key } = await client.ok(adminKey, 'POST', `/v1/accounts/${account.id}/keys`, {});
    accounts.push({ id: account.id, key, weight, webhooks: {} });
  }
  // acme first: the account key the reads are timed with.
  accounts.unshift(accounts.splice(1, 1)[0]);
  const closedPort = await freePort();
  const retry = (maxAttempts: number, initialIntervalSeconds: number) => ({ retry: { maxAttempts, initialIntervalSeconds, backoffCoefficient: 2, maxIntervalSeconds: Math.max(7200, initialIntervalSeconds) } });
  const hooks: Array<{ name: string; eventTypes: string[]; url: string; extra?: Record<string, unknown> }> = [
    { name: 'orders', eventTypes: ['order.created', 'order.paid'], url: `${receivers.a.url}/orders` },
    { name: 'billing', eventTypes: ['order.paid', 'invoice.issued'], url: `${receivers.b.url}/billing` },
    { name: 'crm', eventTypes: ['order.created', 'customer.updated', 'invoice.issued'], url: `${receivers.a.url}/crm` },
    { name: 'flaky', eventTypes: ['invoice.issued'], url: `${failingUrl}/flaky`, extra: retry(1, 1) },
    { name: 'legacy', eventTypes: ['customer.updated'], url: `http://127.0.0.1:${closedPort}/legacy`, extra: retry(1, 1) },
    { name: 'logistics', eventTypes: ['shipment.sent'], url: `${failingUrl}/logistics`, extra: retry(12, 3600) },
    { name: 'warehouse', eventTypes: ['shipment.sent'], url: `${failingUrl}/warehouse`, extra: retry(12, 3600) },
  ];
  let webhooks = 0;
  for (const a of accounts) {
    for (const h of hooks) {
      const w = await client.ok(a.key, 'POST', '/v1/webhooks', { name: h.name, eventTypes: h.eventTypes, url: h.url, ...h.extra });
      a.webhooks[h.name] = w.id;
      webhooks++;
    }
  }
  const perType = 8;
  const entities = 50;
  let i = 0;
  for (const a of accounts) {
    for (const { type } of EVENT_TYPES) {
      for (let j = 0; j < perType; j++, i++) {
        const ent = [entity(i % entities), ...(i % 7 === 0 ? [`region-${i % 5}`] : [])];
        await client.ok(a.key, 'POST', '/v1/events', { type, data: { ref: `r-${i}`, amount: (i * 37) % 1000, customer: ent[0], lines: [{ sku: `sku-${i % 13}`, qty: 1 + (i % 3) }] }, entityIds: ent });
      }
    }
  }
  // One entity with exactly 3 notifications, whatever the size: invoice.issued takes billing, crm and flaky.
  await client.ok(accounts[0].key, 'POST', '/v1/events', { type: 'invoice.issued', data: { ref: 'rare', amount: 3 }, entityIds: [RARE_ENTITY] });
  // Wait until every event is dispatched and the first attempts were made.
  const N = models.Notification.collection;
  const E = models.Event.collection;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [undispatched, pending] = await Promise.all([E.countDocuments({ dispatchedAt: null }), N.countDocuments({ status: 'pending' })]);
    if (undispatched === 0 && pending === 0) break;
    await sleep(500);
  }
  // Stopped automatic rounds: one webhook's retrying notifications become cancelled (webhook_disabled).
  for (const a of accounts) await client.ok(a.key, 'PATCH', `/v1/webhooks/${a.webhooks.logistics}`, { enabled: false });
  const stopDeadline = Date.now() + 30_000;
  while (Date.now() < stopDeadline && (await N.countDocuments({ webhookId: { $in: accounts.map((a) => a.webhooks.logistics) }, status: { $ne: 'cancelled' } })) > 0) await sleep(500);

  const events = await E.find({}).toArray();
  const notifications = await N.find({}).toArray();
  const byEvent = new Map<string, Doc[]>();
  for (const n of notifications) byEvent.set(n.eventId, [...(byEvent.get(n.eventId) ?? []), n]);
  const templates = events
    .filter((e) => e.dispatchedAt && !(e.entityIds as string[]).includes(RARE_ENTITY))
    .map((e) => ({ event: e as Doc, notifications: byEvent.get(e._id as unknown as string) ?? [] }));
  const donors = new Map<string, Doc[]>();
  for (const n of notifications) if (!(n.entityIds as string[]).includes(RARE_ENTITY)) donors.set(n.status, [...(donors.get(n.status) ?? []), n]);
  const donorCounts = Object.fromEntries([...donors].map(([s, d]) => [s, d.length]));
  // No notification stays pending for long: pending copies are sent ones before their first attempt.
  if (!donors.has('pending') && donors.has('sent')) donors.set('pending', donors.get('sent')!.map(beforeFirstAttempt));
  return { accounts, webhooks, templates, donors, donorCounts, realNotifications: notifications.length, entities, rareEntity: RARE_ENTITY, hosts: { b: new URL(receivers.b.url).host } };
}

function beforeFirstAttempt(n: Doc): Doc {
  return { ...n, status: 'pending', attempts: [], attemptCount: 0, lastStatusCode: undefined, lastErrorKind: undefined, sentAt: null, failedAt: null, nextAttemptAt: null, updatedAt: n.createdAt };
}

async function startFailingReceiver(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.statusCode = 503;
      res.setHeader('content-type', 'application/json');
      res.end('{"error":"maintenance"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Copies

/** The status fields a copy takes from a real notification of the status it is given. */
const STATUS_FIELDS = ['status', 'attempts', 'attemptCount', 'lastStatusCode', 'lastErrorKind', 'nextAttemptAt', 'heldReason', 'sentAt', 'failedAt', 'cancelReason', 'cancelledAt', 'updatedAt'];

class Copier {
  /** Random picks, reproducible run to run. */
  private rand = mulberry32(23);
  private readonly byAccount = new Map<string, { account: SeedAccount; byType: Map<string, Template[]> }>();
  private readonly entitiesPerAccount: number;
  /** A notification and an event id from the copies (filters by id). */
  sampleEventId: string | null = null;
  sampleNotificationId: string | null = null;
  /** Collections derived from the history, filled for the copies too. */
  private readonly derived: DerivedFiller[];

  constructor(
    private readonly models: Models,
    private readonly seed: Seed,
    largest: number,
  ) {
    for (const account of seed.accounts) {
      const byType = new Map<string, Template[]>();
      for (const t of seed.templates) if (t.event.accountId === account.id) byType.set(t.event.type, [...(byType.get(t.event.type) ?? []), t]);
      this.byAccount.set(account.id, { account, byType });
    }
    // Busy entities: about 400 notifications each at the largest size.
    this.entitiesPerAccount = Math.max(20, Math.min(2000, Math.round(largest / seed.accounts.length / 400)));
    this.derived = derivedFillers(models);
  }

  /** Adds about `notifications` notifications (and their events) with times in [from, to). */
  async grow(notifications: number, range: { from: number; to: number; statuses: Array<[string, number]> }): Promise<{ notifications: number; events: number }> {
    let madeN = 0;
    let madeE = 0;
    const t0 = performance.now();
    const inFlight = new Set<Promise<void>>();
    while (madeN < notifications) {
      const batch: CopiedBatch = { events: [], notifications: [] };
      // In time order, as Herald would have written them (each index then grows at its end, or in
      // one narrow stretch per batch when a later size fills between earlier copies).
      while (batch.notifications.length < BATCH && madeN + batch.notifications.length < notifications) {
        const at = range.from + Math.min(1, (madeN + batch.notifications.length + this.rand()) / notifications) * (range.to - range.from);
        this.copyOne(batch, at, range.statuses);
      }
      madeN += batch.notifications.length;
      madeE += batch.events.length;
      if (Math.floor(madeN / 50_000) > Math.floor((madeN - batch.notifications.length) / 50_000)) {
        const s = (performance.now() - t0) / 1000;
        process.stderr.write(`history fill: ${madeN} of ${notifications} notifications and ${madeE} events in ${s.toFixed(0)} s (${((madeN + madeE) / s).toFixed(0)} docs/s)\n`);
      }
      const write = this.write(batch).finally(() => inFlight.delete(write));
      inFlight.add(write);
      if (inFlight.size >= 2) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    for (const d of this.derived) await d.finish();
    return { notifications: madeN, events: madeE };
  }

  private async write(batch: CopiedBatch): Promise<void> {
    await Promise.all([
      batch.events.length ? this.models.Event.collection.insertMany(batch.events, { ordered: false }) : null,
      batch.notifications.length ? this.models.Notification.collection.insertMany(batch.notifications, { ordered: false }) : null,
      ...this.derived.map((d) => d.add(batch)),
    ]);
  }

  private copyOne(batch: CopiedBatch, at: number, statuses: Array<[string, number]>): void {
    const account = pick(this.seed.accounts.map((a) => [a, a.weight] as [SeedAccount, number]), this.rand());
    const { byType } = this.byAccount.get(account.id)!;
    const type = pick(EVENT_TYPES.map((t) => [t.type, t.weight] as [string, number]), this.rand());
    const candidates = byType.get(type);
    if (!candidates?.length) return;
    const template = candidates[Math.floor(this.rand() * candidates.length)];
    const shift = at - (template.event.createdAt as Date).getTime();
    const eventId = newId('evt', Math.floor(at));
    // Most events name one busy customer, some also a region.
    const customer = entity(Math.floor(this.rand() * this.entitiesPerAccount));
    const entities = [customer, ...(this.rand() < 0.15 ? [`region-${Math.floor(this.rand() * 5)}`] : [])];
    const swaps = new Map<string, string>([[template.event._id, eventId]]);
    const oldEntities = template.event.entityIds as string[];
    if (oldEntities[0]) swaps.set(oldEntities[0], customer);
    const event = retarget(template.event, swaps, shift);
    event._id = eventId;
    event.entityIds = entities;
    // Copies are not in the stream log (as events from before it).
    event.streamPartition = null;
    event.streamOffset = null;
    batch.events.push(event);
    if (template.notifications.length) this.sampleEventId ??= eventId;
    for (const n of template.notifications) {
      const nAt = (n.createdAt as Date).getTime() + shift;
      const id = newId('ntf', Math.floor(nAt));
      const copy = retarget(n, new Map([...swaps, [n._id as string, id]]), shift);
      copy._id = id;
      copy.entityIds = entities;
      const status = pick(statuses, this.rand());
      if (status !== n.status) {
        const donors = this.seed.donors.get(status);
        if (donors?.length) {
          const same = donors.filter((d) => d.webhookId === n.webhookId);
          const donor = (same.length ? same : donors)[Math.floor(this.rand() * (same.length || donors.length))];
          const fields = retarget(donor, new Map([[donor._id as string, id]]), nAt - (donor.createdAt as Date).getTime());
          for (const f of STATUS_FIELDS) {
            if (fields[f] === undefined) delete copy[f];
            else copy[f] = fields[f];
          }
        }
      }
      batch.notifications.push(copy);
      this.sampleNotificationId ??= id;
    }
  }
}

/** A deep copy with every Date moved by shiftMs and every string's ids swapped. */
function retarget(value: any, swaps: Map<string, string>, shiftMs: number): any {
  if (value instanceof Date) return new Date(value.getTime() + shiftMs);
  if (typeof value === 'string') {
    let s = value;
    for (const [from, to] of swaps) if (s.includes(from)) s = s.split(from).join(to);
    return s;
  }
  if (Array.isArray(value)) return value.map((v) => retarget(v, swaps, shiftMs));
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Doc = {};
    for (const [k, v] of Object.entries(value)) out[k] = retarget(v, swaps, shiftMs);
    return out;
  }
  return value;
}

function pick<T>(weighted: Array<[T, number]>, r: number): T {
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  let x = r * total;
  for (const [v, w] of weighted) {
    if ((x -= w) < 0) return v;
  }
  return weighted[weighted.length - 1][0];
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// Reads

interface ReadPath {
  name: string;
  key: 'account' | 'admin';
  path: string;
}

async function timeReads(lab: Lab, prefix: string, copier: Copier): Promise<void> {
  const { seed, client } = lab;
  const acme = seed.accounts[0];
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const q = (params: Record<string, string | number>) => `?${new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]))}`;
  const busy = entity(0);
  const list = (params: Record<string, string | number>) => `/v1/notifications${q({ limit: 50, ...params })}`;
  const events = (params: Record<string, string | number>) => `/v1/events${q({ limit: 50, ...params })}`;
  const paths: ReadPath[] = [
    { name: 'notifications.newest', key: 'account', path: list({}) },
    { name: 'notifications.newest_admin', key: 'admin', path: list({}) },
    { name: 'notifications.status_failed', key: 'account', path: list({ status: 'failed' }) },
    { name: 'notifications.status_sent', key: 'account', path: list({ status: 'sent' }) },
    { name: 'notifications.webhook', key: 'account', path: list({ webhookId: acme.webhooks.orders }) },
    { name: 'notifications.event', key: 'account', path: list({ eventId: copier.sampleEventId ?? '' }) },
    { name: 'notifications.event_type', key: 'account', path: list({ eventType: 'order.paid' }) },
    { name: 'notifications.entity_3_in_n', key: 'account', path: list({ entityId: seed.rareEntity }) },
    { name: 'notifications.entity_busy', key: 'account', path: list({ entityId: busy }) },
    { name: 'notifications.destination_host', key: 'account', path: list({ destinationHost: seed.hosts.b }) },
    { name: 'notifications.status_code_503', key: 'account', path: list({ statusCode: 503 }) },
    { name: 'notifications.error_kind_connection', key: 'account', path: list({ errorKind: 'connection' }) },
    { name: 'notifications.since_1d', key: 'account', path: list({ since: iso(now - DAY) }) },
    { name: 'notifications.until_29d_ago', key: 'account', path: list({ until: iso(now - 29 * DAY) }) },
    { name: 'notifications.since_until_1d', key: 'account', path: list({ since: iso(now - 15 * DAY), until: iso(now - 14 * DAY) }) },
    { name: 'notifications.webhook_status_failed', key: 'account', path: list({ webhookId: acme.webhooks.flaky, status: 'failed' }) },
    { name: 'notifications.webhook_status_sent', key: 'account', path: list({ webhookId: acme.webhooks.orders, status: 'sent' }) },
    { name: 'notifications.by_id', key: 'account', path: `/v1/notifications/${copier.sampleNotificationId}` },
    { name: 'events.newest', key: 'account', path: events({}) },
    { name: 'events.newest_admin', key: 'admin', path: events({}) },
    { name: 'events.type', key: 'account', path: events({ type: 'order.paid' }) },
    { name: 'events.entity_busy', key: 'account', path: events({ entityId: busy }) },
    { name: 'events.entity_3_in_n', key: 'account', path: events({ entityId: seed.rareEntity }) },
    { name: 'events.since_1d', key: 'account', path: events({ since: iso(now - DAY) }) },
    { name: 'events.matched_true', key: 'account', path: events({ matched: 'true' }) },
    { name: 'events.matched_false', key: 'account', path: events({ matched: 'false' }) },
    { name: 'events.by_id', key: 'account', path: `/v1/events/${copier.sampleEventId}` },
    // The console's overview (src/console/js/overview.js) and its webhooks and history screens.
    { name: 'console.stats_webhooks_24h', key: 'account', path: `/v1/stats/webhooks${q({ since: iso(now - DAY) })}` },
    { name: 'console.stats_webhooks_24h_admin', key: 'admin', path: `/v1/stats/webhooks${q({ since: iso(now - DAY) })}` },
    { name: 'console.stats_webhooks_7d', key: 'account', path: `/v1/stats/webhooks${q({ since: iso(now - 7 * DAY) })}` },
    { name: 'console.stats_webhooks_default', key: 'account', path: '/v1/stats/webhooks' },
    { name: 'console.settings', key: 'account', path: '/v1/settings' },
    { name: 'console.webhooks', key: 'account', path: '/v1/webhooks?limit=200' },
    { name: 'console.readyz', key: 'account', path: '/readyz' },
    { name: 'console.event_types', key: 'account', path: '/v1/event-types' },
    { name: 'retention.preview', key: 'account', path: '/v1/retention' },
    { name: 'retention.preview_admin', key: 'admin', path: '/v1/retention' },
  ];
  const keyOf = (k: ReadPath['key']) => (k === 'account' ? acme.key : seed.accounts.find((a) => a.id === 'default')!.key);
  for (const p of paths) {
    const samples: number[] = [];
    let failure: Answer | null = null;
    let extra: { count?: number } = {};
    const t0 = performance.now();
    while (samples.length < lab.o.reps && (samples.length === 0 || performance.now() - t0 < lab.o.pathBudgetMs)) {
      const a = await client.call(keyOf(p.key), 'GET', p.path);
      if (a.status !== 200) {
        failure = a;
        break;
      }
      samples.push(a.ms);
      if (Array.isArray(a.json?.data)) extra = { count: a.json.data.length };
    }
    readLines(lab, `${prefix}.read.${p.name}`, samples, failure, extra);
    // The entity with 3 notifications among N: a list that finds another number is wrong, not fast.
    if (p.name === 'notifications.entity_3_in_n') lab.report.set(`${prefix}.read.${p.name}.items_expected`, 3);
    if (failure?.status === 'timeout') await settle(lab, 180_000);
  }
  // A 20-page cursor walk, newest first, twice.
  const walk: number[] = [];
  let failure: Answer | null = null;
  let pages = 0;
  for (let w = 0; w < 2 && !failure; w++) {
    let cursor: string | null = null;
    for (let i = 0; i < 20 && !failure; i++) {
      const a: Answer = await client.call(acme.key, 'GET', list(cursor ? { cursor } : {}));
      if (a.status !== 200) failure = a;
      else {
        walk.push(a.ms);
        pages++;
        cursor = a.json.nextCursor;
        if (!cursor) break;
      }
    }
  }
  readLines(lab, `${prefix}.read.notifications.cursor_walk_20_pages`, walk, failure, {});
  lab.report.set(`${prefix}.read.notifications.cursor_walk_20_pages.pages_read`, pages);
  if (failure?.status === 'timeout') await settle(lab, 180_000);
}

/** The copies as Herald's own reads count them: the overview's totals over 31 days against the notifications stored. */
async function checkCopies(lab: Lab, prefix: string): Promise<void> {
  const acme = lab.seed.accounts[0];
  const stored = await lab.models.Notification.collection.countDocuments({ accountId: acme.id });
  lab.report.set(`${prefix}.check.timed_account_notifications_stored`, stored);
  const a = await lab.client.call(acme.key, 'GET', `/v1/stats/webhooks?since=${new Date(Date.now() - 31 * DAY).toISOString()}`);
  if (a.status !== 200) lab.report.set(`${prefix}.check.stats_31d.http_status`, String(a.status));
  else lab.report.set(`${prefix}.check.timed_account_notifications_in_stats_31d`, (a.json.data as Array<{ notifications: { total: number } }>).reduce((sum, w) => sum + w.notifications.total, 0));
}

function readLines(lab: Lab, key: string, samples: number[], failure: Answer | null, extra: { count?: number }): void {
  if (samples.length) {
    const s = summarize(samples);
    lab.report.set(`${key}.p50_ms`, s.p50, 1);
    lab.report.set(`${key}.p99_ms`, s.p99, 1);
    lab.report.set(`${key}.n`, s.count);
  }
  if (extra.count !== undefined) lab.report.set(`${key}.items`, extra.count);
  if (failure) {
    if (failure.status === 'timeout') lab.report.set(`${key}.timeout_after_ms`, failure.ms, 0);
    else if (failure.status === 'error') lab.report.set(`${key}.error`, failure.error ?? 'error');
    else {
      lab.report.set(`${key}.http_status`, failure.status);
      lab.report.set(`${key}.answer`, JSON.stringify(failure.json?.error?.message ?? failure.json).slice(0, 200));
    }
  }
}

/** Waits until the store is quiet (its CPU under 15 % of a core over 2 s), at most maxMs. */
async function settle(lab: Lab, maxMs: number): Promise<void> {
  if (!lab.ferret) return;
  const t0 = performance.now();
  for (;;) {
    const before = cpuSnapshot([lab.ferret]);
    await sleep(2000);
    const used = cpuDelta(before, cpuSnapshot([lab.ferret])).get(lab.ferret.name) ?? 0;
    if (used / 2000 < 0.15 || performance.now() - t0 > maxMs) break;
  }
}

/** The stack's CPU over idleSeconds with nothing asked of Herald. */
async function idleCpu(lab: Lab, prefix: string): Promise<void> {
  const before = cpuSnapshot(lab.procs);
  await sleep(lab.o.idleSeconds * 1000);
  for (const [proc, ms] of cpuDelta(before, cpuSnapshot(lab.procs))) lab.report.set(`${prefix}.idle_cpu_percent_of_one_core.${proc}`, (100 * ms) / (lab.o.idleSeconds * 1000), 1);
}

// ---------------------------------------------------------------------------------------------
// Delivery latency

/** One event at a time to a fresh webhook (its own event type) of the timed account. */
async function deliveryLatency(lab: Lab, label: string): Promise<{ p50: number; p99: number }> {
  const { post, arrived } = await freshWebhook(lab, `latency-${label}`);
  const accepted = await oneAtATime(post, lab.o.latencyEvents, 50, `latency.${label}`, 0, arrived);
  const s = summarize(latencies(accepted.at, lab.receivers.a.arrivals));
  if (s.count < accepted.at.size) lab.report.set(`history.${label}.delivery.missing`, accepted.at.size - s.count);
  return { p50: s.p50, p99: s.p99 };
}

async function freshWebhook(lab: Lab, name: string): Promise<{ post: PostEvent; arrived: (ids: Iterable<string>) => Promise<void> }> {
  const acme = lab.seed.accounts[0];
  const type = `latency.${name.replace(/^latency-/, '')}`;
  await lab.client.ok(acme.key, 'POST', '/v1/webhooks', { name, eventTypes: [type], url: `${lab.receivers.a.url}/${name}` });
  const post: PostEvent = async (i, t) => {
    const r = await lab.client.ok(acme.key, 'POST', '/v1/events', { type: t, data: { i }, entityIds: [entity(i % 20)] });
    return (r.notifications as Array<{ id: string }>).map((n) => n.id);
  };
  const arrived = async (ids: Iterable<string>) => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([lab.receivers.a.waitFor(ids), new Promise<void>((r) => (timer = setTimeout(r, 60_000)))]);
    clearTimeout(timer);
  };
  return { post, arrived };
}

// ---------------------------------------------------------------------------------------------
// Retention purge

async function purgePhase(lab: Lab, copier: Copier, count: number): Promise<void> {
  const { report, client } = lab;
  const admin = lab.seed.accounts.find((a) => a.id === 'default')!.key;
  // Expired: final statuses, last touched 31 to 60 days ago (HERALD_RETENTION is 30 days).
  const t0 = performance.now();
  const added = await copier.grow(count, { from: Date.now() - 60 * DAY, to: Date.now() - 31 * DAY, statuses: FINAL_MIX });
  const seconds = (performance.now() - t0) / 1000;
  report.set('history.purge.expired_notifications', added.notifications);
  report.set('history.purge.expired_events', added.events);
  report.set('history.purge.fill.seconds', seconds, 1);
  const stored = async (when: string) => {
    for (const [name, model] of [['notifications', lab.models.Notification], ['events', lab.models.Event], ['entitylinks', lab.models.EntityLink]] as const) {
      report.set(`history.purge.${when}.${name}_stored`, await model.collection.estimatedDocumentCount());
    }
  };
  await stored('before');
  await settle(lab, 60_000);
  const rate = 5;
  const { post, arrived } = await freshWebhook(lab, 'latency-purge');
  const before = await paced(post, rate, 20, 'latency.purge', 0);
  await arrived(before.at.keys());
  const b = summarize(latencies(before.at, lab.receivers.a.arrivals));
  report.set('history.purge.before.delivery.p50_ms', b.p50, 1);
  report.set('history.purge.before.delivery.p99_ms', b.p99, 1);

  const start = performance.now();
  const { jobId } = await client.ok(admin, 'POST', '/v1/retention/purge', {});
  let job: any = null;
  let done = false;
  const poll = (async () => {
    while (!done) {
      await sleep(2000);
      const a = await client.call(admin, 'GET', `/v1/retention/purge/${jobId}`);
      if (a.status === 200 && a.json.status !== 'running') {
        job = a.json;
        done = true;
      }
      if (performance.now() - start > 3 * 3_600_000) done = true;
    }
  })();
  const during = new Map<string, number>();
  let errors = 0;
  for (let i = 1; !done; i++) {
    const p = await paced(post, rate, 1, 'latency.purge', i * 100);
    for (const [id, at] of p.at) during.set(id, at);
    errors += p.errors;
  }
  await poll;
  const purgeSeconds = (performance.now() - start) / 1000;
  await arrived(during.keys());
  const d = summarize(latencies(during, lab.receivers.a.arrivals));
  report.set('history.purge.job_status', job?.status ?? 'gave up after 3 h');
  report.set('history.purge.seconds', purgeSeconds, 1);
  if (job?.result) {
    report.set('history.purge.deleted.notifications', job.result.notifications);
    report.set('history.purge.deleted.events', job.result.events);
    report.set('history.purge.deleted_docs_per_s', (job.result.notifications + job.result.events) / purgeSeconds, 0);
  }
  report.set('history.purge.during.delivered', d.count);
  if (errors) report.set('history.purge.during.api_errors', errors);
  if (d.count < during.size) report.set('history.purge.during.missing', during.size - d.count);
  report.set('history.purge.during.delivery.p50_ms', d.p50, 1);
  report.set('history.purge.during.delivery.p99_ms', d.p99, 1);
  report.set('history.purge.during_p99_over_before', d.p99 / Math.max(0.001, b.p99), 2);
  await stored('after');
}

// ---------------------------------------------------------------------------------------------

function dirBytes(dir: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      const s = statSync(p);
      total += s.isDirectory() ? dirBytes(p) : s.size;
    }
  } catch {
    // gone
  }
  return total;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function silent() {
  const noop = () => {};
  return { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
}

/** `10000,100000,1e6` → sorted sizes. */
export function parseSizes(value: string): number[] {
  const sizes = value.split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--history takes sizes separated by commas (e.g. 10000,100000), got ${value}`);
  return [...new Set(sizes)].sort((a, b) => a - b);
}
