/**
 * Records Temporal histories of the workflows as the current code runs them, into
 * test/fixtures/histories/<scenario>.json. test/integration/workflow-replay.test.ts replays every
 * fixture against the workflow code of the checkout, so a workflow change that would break
 * executions already running (a different command sequence on replay) fails `npm test`.
 *
 * Run it by hand on the code whose executions must keep working, before changing a workflow:
 * `npx tsx scripts/record-histories.ts [scenario ...]` (all scenarios without arguments). It starts
 * its own embedded stack on free ports (data in a temporary directory), a real Herald (API and
 * worker) and a real receiver on 127.0.0.1, and finishes in well under a minute.
 *
 * Fixtures are recorded once and then kept: re-recording them after a change would replay the new
 * code against itself and prove nothing. Add a scenario below for a new path through a workflow.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { startEmbeddedStack } from '../src/embedded/stack';
import { freePort } from '../src/embedded/child-process';
import { eventually, startTestHerald, type TestHerald } from '../test/helpers/herald';
import { startReceiver, type Receiver } from '../test/helpers/receiver';
import { historyToJSON } from '../test/helpers/history-json';
import { NOTIFICATION_WORKFLOW, notificationWorkflowId, purgeWorkflowId, statusQuery, type NotificationState, type PurgeResult } from '../workflows/shared';

const FIXTURES_DIR = path.join(__dirname, '..', 'test', 'fixtures', 'histories');

/** Short automatic retries: about a second apart. */
const SHORT = { initialIntervalSeconds: 1, backoffCoefficient: 1, maxIntervalSeconds: 1 };
/** An automatic round that waits an hour after its first failure: the workflow stays running. */
const LONG_BACKOFF = { maxAttempts: 5, initialIntervalSeconds: 3600, backoffCoefficient: 2, maxIntervalSeconds: 7200 };

interface Ctx {
  h: TestHerald;
  receiver: Receiver;
  /** Answers per receiver path: the status for the n-th request (0-based) to that path. */
  answer(path: string, status: (n: number) => number): void;
}

interface Scenario {
  name: string;
  what: string;
  /** Runs the scenario and returns the handle whose (latest run's) history is the fixture. */
  run(ctx: Ctx): Promise<WorkflowHandle>;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'delivered-first-attempt',
    what: 'prepare, one automatic attempt answered 200: completed, sent',
    async run(ctx) {
      const { handle } = await notify(ctx, '/first', {}, () => 200);
      await expectResult(handle, { status: 'sent', attempts: 1 });
      return handle;
    },
  },
  {
    name: 'failed-twice-then-delivered',
    what: 'two attempts answered 500 (each reported by the attemptRecorded signal), the third 200',
    async run(ctx) {
      const { handle } = await notify(ctx, '/flaky', { retry: { maxAttempts: 5, ...SHORT } }, (n) => (n < 2 ? 500 : 200));
      await expectResult(handle, { status: 'sent', attempts: 3 });
      return handle;
    },
  },
  {
    name: 'attempts-exhausted',
    what: 'maxAttempts 2, both answered 500: the activity throws AttemptsExhausted, completed, failed',
    async run(ctx) {
      const { handle } = await notify(ctx, '/down', { retry: { maxAttempts: 2, ...SHORT } }, () => 500);
      await expectResult(handle, { status: 'failed', attempts: 2 });
      return handle;
    },
  },
  {
    name: 'waiting-backoff',
    what: 'first attempt 503, the round waits an hour for the next one: still running (history ends mid-run)',
    async run(ctx) {
      const { handle } = await notify(ctx, '/waiting', { retry: LONG_BACKOFF }, () => 503);
      await settled(handle, (s) => s.status === 'retrying' && s.attempts === 1 && s.nextAttemptAt !== null);
      return handle;
    },
  },
  {
    name: 'waiting-backoff-resend-failed',
    what: 'a resend signal while the round waits out its backoff, answered 500: still running, still retrying',
    async run(ctx) {
      const { handle } = await notify(ctx, '/still-down', { retry: LONG_BACKOFF }, () => 500);
      await settled(handle, (s) => s.status === 'retrying' && s.attempts === 1);
      await handle.signal('resend', { reason: 'recorded fixture' });
      await settled(handle, (s) => s.manualResends === 1 && s.attempts === 2 && s.status === 'retrying');
      return handle;
    },
  },
  {
    name: 'waiting-backoff-resend-delivered',
    what: 'a resend signal while the round waits, answered 200: the manual success cancels the round, completed',
    async run(ctx) {
      const { handle } = await notify(ctx, '/back-up', { retry: LONG_BACKOFF }, (n) => (n < 1 ? 503 : 200));
      await settled(handle, (s) => s.status === 'retrying' && s.attempts === 1);
      await handle.signal('resend', { reason: 'recorded fixture' });
      await expectResult(handle, { status: 'sent', attempts: 2, manualResends: 1 });
      return handle;
    },
  },
  {
    name: 'resend-closed-failed',
    what: 'resend of a failed notification whose run had closed: signal-with-start, a resendOnly run, sent',
    async run(ctx) {
      const { id, handle } = await notify(ctx, '/closed', { retry: { maxAttempts: 1, ...SHORT } }, (n) => (n < 1 ? 500 : 200));
      await expectResult(handle, { status: 'failed', attempts: 1 });
      const firstRun = (await handle.describe()).runId;
      expectStatus(await ctx.h.api('POST', `/v1/notifications/${id}/resend`, { reason: 'recorded fixture' }), 202);
      const latest = ctx.h.temporal.client.workflow.getHandle(notificationWorkflowId(id));
      await eventually(async () => (await latest.describe()).runId !== firstRun, 20_000, 'the resendOnly run');
      await expectResult(latest, { status: 'sent', attempts: 2, manualResends: 1 });
      return latest;
    },
  },
  {
    name: 'render-failure',
    what: 'a body template that fails at render (stored behind the API validation): prepare throws RenderFailure, the run ends',
    async run(ctx) {
      const { id, handle } = await notify(ctx, '/unrenderable', {}, () => 200, async (webhookId) => {
        // The API refuses such a template; an older or hand-edited document is how one gets in.
        await ctx.h.models.Webhook.updateOne({ _id: webhookId }, { $set: { bodyTemplate: '{"broken": {{#each}}' } });
      });
      // Today the workflow itself fails here (the RenderFailure is rethrown), which is what the
      // fixture records; a run that instead completes as `failed` is accepted too.
      const outcome = await handle.result().then(
        (r) => (r as NotificationState).status,
        (err: Error & { cause?: { type?: string; cause?: { type?: string } } }) => err.cause?.type ?? err.cause?.cause?.type,
      );
      if (outcome !== 'failed' && outcome !== 'RenderFailure') throw new Error(`render-failure: unexpected outcome ${outcome}`);
      const doc = await ctx.h.models.Notification.findById(id).lean();
      if (!doc?.warnings?.some((w: string) => w.startsWith('render failed'))) throw new Error('render-failure: the notification has no render warning');
      return handle;
    },
  },
  // The first-attempt path (workflows/notification.ts, patch `first-attempt`): what every execution
  // started since issue 8 runs. Each stays open for the resend window, so each history ends mid-run.
  {
    name: 'open-sent-first-attempt',
    what: 'first-attempt path: the firstAttempt local activity answered 200: sent, open for the resend window',
    async run(ctx) {
      const { handle } = await notify(ctx, '/open-first', {}, () => 200);
      await settled(handle, (s) => s.status === 'sent' && s.attempts === 1);
      return handle;
    },
  },
  {
    name: 'open-retried-then-sent',
    what: 'first-attempt path: first attempt 500, a timer, the deliver activity 500 then 200: sent, open',
    async run(ctx) {
      const { handle } = await notify(ctx, '/open-flaky', { retry: { maxAttempts: 5, ...SHORT } }, (n) => (n < 2 ? 500 : 200));
      await settled(handle, (s) => s.status === 'sent' && s.attempts === 3);
      return handle;
    },
  },
  {
    name: 'open-sent-then-resent',
    what: 'first-attempt path: sent at once, then a resend signal answered 200 (a second, manual attempt): open',
    async run(ctx) {
      const { handle } = await notify(ctx, '/open-resent', {}, () => 200);
      await settled(handle, (s) => s.status === 'sent' && s.attempts === 1);
      await handle.signal('resend', { reason: 'recorded fixture' });
      await settled(handle, (s) => s.manualResends === 1 && s.attempts === 2 && s.status === 'sent');
      return handle;
    },
  },
  {
    name: 'open-stopped-in-backoff',
    what: 'first-attempt path: first attempt 503, waiting an hour; the webhook disabled: stop signal, recordStop, cancelled, open',
    async run(ctx) {
      const { handle } = await notify(ctx, '/open-stopped', { retry: LONG_BACKOFF }, () => 503);
      await settled(handle, (s) => s.status === 'retrying' && s.attempts === 1);
      const webhookId = (await ctx.h.models.Notification.findOne({ workflowId: handle.workflowId }).lean())!.webhookId;
      expectStatus(await ctx.h.api('PATCH', `/v1/webhooks/${webhookId}`, { enabled: false }), 200);
      await settled(handle, (s) => s.status === 'cancelled');
      return handle;
    },
  },
  {
    name: 'bulk-resend',
    what: 'POST /v1/notifications/resend of three failed notifications: the bulk-resend workflow, completed',
    async run(ctx) {
      const webhook = await createWebhook(ctx, '/bulk', { retry: { maxAttempts: 1, ...SHORT } });
      ctx.answer('/bulk', (n) => (n < 3 ? 500 : 200));
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await postEvent(ctx, webhook.eventType, { i }));
      // Closed runs, so the resends go through signal-with-start as they would in production.
      for (const id of ids) await expectResult(workflowOf(ctx, id), { status: 'failed' });
      const res = await ctx.h.api('POST', '/v1/notifications/resend', { status: 'failed', webhookId: webhook.id });
      expectStatus(res, 202);
      const handle = ctx.h.temporal.client.workflow.getHandle(`bulk-resend-${res.body.jobId}`);
      const result = await handle.result();
      if (result.resent !== 3) throw new Error(`bulk-resend: expected 3 resent, got ${JSON.stringify(result)}`);
      await eventually(async () => ctx.receiver.requests.filter((r) => r.url === '/bulk').length === 6, 20_000, 'the three resends');
      return handle;
    },
  },
  {
    name: 'purge',
    what: 'POST /v1/retention/purge with an old failed notification and its event in MongoDB: cutoff, a batch of each, completed',
    async run(ctx) {
      // Backdated past HERALD_RETENTION, written past mongoose (which would set the timestamps to now).
      const old = new Date(Date.now() - 400 * 86400_000);
      await ctx.h.models.Event.create({ _id: 'evt_fixture_purge', type: 'fixture.purge', occurredAt: old, dedupeKey: 'id:evt_fixture_purge', dispatchedAt: old, notificationCount: 1 });
      await ctx.h.models.Event.collection.updateOne({ _id: 'evt_fixture_purge' } as object, { $set: { createdAt: old, updatedAt: old } });
      await ctx.h.models.Notification.create({
        _id: 'ntf_fixture_purge',
        eventId: 'evt_fixture_purge',
        eventType: 'fixture.purge',
        webhookId: 'wh_fixture_gone',
        webhookName: 'gone',
        status: 'failed',
        workflowId: 'notification-ntf_fixture_purge',
      });
      await ctx.h.models.Notification.collection.updateOne({ _id: 'ntf_fixture_purge' } as object, { $set: { createdAt: old, updatedAt: old } });
      const res = await ctx.h.api('POST', '/v1/retention/purge', {});
      expectStatus(res, 202);
      const handle = ctx.h.temporal.client.workflow.getHandle(purgeWorkflowId(res.body.jobId));
      const result = (await handle.result()) as PurgeResult;
      if (result.notifications < 1 || result.events < 1) throw new Error(`purge: expected the old notification and event purged, got ${JSON.stringify(result)}`);
      return handle;
    },
  },
];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const scenarios = wanted.length > 0 ? SCENARIOS.filter((s) => wanted.includes(s.name)) : SCENARIOS;

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'herald-histories-'));
  const stack = await startEmbeddedStack({
    dataDir,
    temporal: { port: await freePort(), namespace: 'default' },
    mongo: { port: await freePort() },
    tools: { temporalBin: process.env.HERALD_TEMPORAL_BIN, ferretdbBin: process.env.HERALD_FERRETDB_BIN, cacheDir: process.env.HERALD_TOOLS_DIR },
    log: (line) => process.stdout.write(`${line}\n`),
  });
  // The test helpers read the stack's addresses from these (the worker bundles workflows/ at start).
  process.env.HERALD_TEST_TEMPORAL_ADDRESS = stack.temporalAddress;
  process.env.HERALD_TEST_MONGO_URI_BASE = stack.mongoUriBase;
  process.env.HERALD_TEST_DATA_DIR = dataDir;
  let h: TestHerald | undefined;
  let receiver: Receiver | undefined;
  try {
    const answers = new Map<string, (n: number) => number>();
    const seen = new Map<string, number>();
    [h, receiver] = await Promise.all([
      startTestHerald(),
      startReceiver((req) => {
        const n = seen.get(req.url) ?? 0;
        seen.set(req.url, n + 1);
        return { status: (answers.get(req.url) ?? (() => 200))(n) };
      }),
    ]);
    const ctx: Ctx = { h, receiver, answer: (p, status) => answers.set(p, status) };
    mkdirSync(FIXTURES_DIR, { recursive: true });
    const running: WorkflowHandle[] = [];
    // One at a time: each history then holds only its own scenario's timing, and a failure names it.
    for (const scenario of scenarios) {
      const started = Date.now();
      const handle = await scenario.run(ctx);
      const history = await handle.fetchHistory();
      const closed = (await handle.describe()).status.name !== 'RUNNING';
      if (!closed) running.push(handle);
      const file = path.join(FIXTURES_DIR, `${scenario.name}.json`);
      writeFileSync(file, historyToJSON(history));
      process.stdout.write(
        `${scenario.name}: ${history.events?.length} events, ${closed ? 'closed' : 'still running'}, ${Date.now() - started} ms → ${path.relative(process.cwd(), file)}\n`,
      );
    }
    for (const handle of running) await handle.terminate('fixture recorded');
  } finally {
    await h?.stop();
    await receiver?.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function createWebhook(ctx: Ctx, urlPath: string, body: Record<string, unknown>): Promise<{ id: string; eventType: string }> {
  const eventType = `fixture${urlPath.replace(/\//g, '.')}`;
  const res = await ctx.h.api('POST', '/v1/webhooks', { name: `fixture ${urlPath}`, eventTypes: [eventType], url: `${ctx.receiver.url}${urlPath}`, ...body });
  expectStatus(res, 201);
  return { id: res.body.id, eventType };
}

async function postEvent(ctx: Ctx, eventType: string, data: Record<string, unknown> = {}): Promise<string> {
  const res = await ctx.h.api('POST', '/v1/events', { type: eventType, data });
  expectStatus(res, 202);
  if (res.body.notifications.length !== 1) throw new Error(`expected one notification for ${eventType}, got ${res.body.notifications.length}`);
  return res.body.notifications[0].id;
}

/** One webhook on `urlPath` answered by `status`, one event to it: its notification's workflow. */
async function notify(
  ctx: Ctx,
  urlPath: string,
  webhookBody: Record<string, unknown>,
  status: (n: number) => number,
  beforeEvent?: (webhookId: string) => Promise<void>,
): Promise<{ id: string; handle: WorkflowHandle }> {
  const webhook = await createWebhook(ctx, urlPath, webhookBody);
  ctx.answer(urlPath, status);
  await beforeEvent?.(webhook.id);
  const id = await postEvent(ctx, webhook.eventType);
  return { id, handle: workflowOf(ctx, id) };
}

function workflowOf(ctx: Ctx, notificationId: string): WorkflowHandle {
  return ctx.h.temporal.client.workflow.getHandle(notificationWorkflowId(notificationId));
}

/** Waits for the run to complete and checks its result, so a fixture is never of the wrong path. */
async function expectResult(handle: WorkflowHandle, expected: Partial<NotificationState>): Promise<void> {
  const result = (await handle.result()) as NotificationState;
  for (const [key, value] of Object.entries(expected)) {
    if (result[key as keyof NotificationState] !== value) {
      throw new Error(`${handle.workflowId}: expected ${key} ${JSON.stringify(value)}, got ${JSON.stringify(result)}`);
    }
  }
}

/**
 * Waits until a running notification workflow's state satisfies `ok` and no workflow task is
 * is pending or in flight, so the fixture ends where a worker deploy could find it: between tasks.
 */
async function settled(handle: WorkflowHandle, ok: (s: NotificationState) => boolean): Promise<void> {
  const described = await handle.describe();
  if (described.type !== NOTIFICATION_WORKFLOW) throw new Error(`${handle.workflowId} is not a notification workflow`);
  await eventually(
    async () => {
      if (!ok(await handle.query(statusQuery))) return false;
      return !(await handle.describe()).raw.pendingWorkflowTask;
    },
    30_000,
    `${handle.workflowId} to settle`,
  );
}

function expectStatus(res: { status: number; body: unknown }, status: number): void {
  if (res.status !== status) throw new Error(`expected HTTP ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
