/**
 * A real Herald for one test file: its own database and task queue on the shared embedded stack,
 * a real worker with the prebuilt workflow bundle, and the real API on 127.0.0.1:0.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config';
import { connectDatabase, type Database } from '../../src/db';
import { connectTemporal, type TemporalHandle } from '../../src/temporal';
import { createLogger } from '../../src/logger';
import { createMetrics, type Metrics } from '../../src/metrics';
import { createApp, type AppDeps } from '../../src/app';
import { listen, type RunningServer } from '../../src/boot';
import { createSecretBox, generateEncryptionKey, parseEncryptionKey } from '../../src/crypto/secrets';
import { startWorker, type RunningWorker } from '../../src/worker';
import { startReceiver, type Receiver, type Responder } from './receiver';
import { createConfigCache } from '../../src/config-cache';
import { createNotificationHandoff } from '../../src/delivery/handoff';
import { USER_AGENT } from '../../src/runtime';
import { newestDeclaredVersion } from '../../src/models/event-type-version';

export const TEST_API_KEY = 'test-key-0123456789abcdef';

export interface TestHerald {
  url: string;
  config: Readonly<Config>;
  db: Database;
  models: Database['models'];
  temporal: TemporalHandle;
  metrics: Metrics;
  deps: AppDeps;
  /** Everything the API and worker logged, for "no secret in logs" checks. */
  logs: string[];
  worker: RunningWorker | null;
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  startWorker(): Promise<RunningWorker>;
  stop(): Promise<void>;
}

export async function startTestHerald(opts: { env?: Record<string, string>; worker?: boolean } = {}): Promise<TestHerald> {
  const suffix = randomBytes(4).toString('hex');
  const config = loadConfig({
    HERALD_API_KEYS: TEST_API_KEY,
    TEMPORAL_ADDRESS: process.env.HERALD_TEST_TEMPORAL_ADDRESS,
    MONGODB_URI: `${process.env.HERALD_TEST_MONGO_URI_BASE}/herald_test_${suffix}`,
    HERALD_TASK_QUEUE: `herald-test-${suffix}`,
    HERALD_ALLOW_PRIVATE_DESTINATIONS: 'true',
    HERALD_ENCRYPTION_KEY: generateEncryptionKey(),
    HERALD_DATA_DIR: process.env.HERALD_TEST_DATA_DIR,
    HERALD_LOG_LEVEL: 'info',
    PORT: '0',
    ...opts.env,
  });
  const logs: string[] = [];
  const logger = createLogger(config.logLevel, new Writable({ write(chunk, _enc, cb) { logs.push(chunk.toString()); cb(); } }));
  const db = await connectDatabase(config.mongodbUri!);
  const temporal = await connectTemporal({ address: config.temporal.address!, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue });
  const metrics = createMetrics();
  metrics.observeNotifications(db.models);
  const secretBox = createSecretBox(parseEncryptionKey(config.encryptionKey!));
  const deps: AppDeps = {
    config,
    db,
    models: db.models,
    temporal,
    logger,
    metrics,
    secretBox,
    apiKeys: config.apiKeys,
    urlSigningKey: randomBytes(32),
    configCache: createConfigCache(db.models),
    // As under npm start (startApiAndWorker in src/worker.ts): the API and the worker share this process.
    handoff: createNotificationHandoff(),
    userAgent: USER_AGENT,
    defaultApiVersion: () => newestDeclaredVersion(db.models.EventTypeVersion),
  };
  const server: RunningServer = await listen(createApp(deps), 0, '127.0.0.1');

  const herald: TestHerald = {
    url: server.url,
    config,
    db,
    models: db.models,
    temporal,
    metrics,
    deps,
    logs,
    worker: null,
    async api(method, path, body, headers = {}) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${TEST_API_KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async startWorker() {
      herald.worker = await startWorker({
        config,
        temporalAddress: config.temporal.address!,
        models: db.models,
        secretBox,
        logger,
        metrics,
        workflowBundlePath: process.env.HERALD_TEST_BUNDLE,
        handoff: deps.handoff,
      });
      return herald.worker;
    },
    async stop() {
      await herald.worker?.shutdown();
      await server.close();
      await temporal.close();
      await db.connection.dropDatabase().catch(() => {});
      await db.close();
    },
  };
  if (opts.worker !== false) await herald.startWorker();
  return herald;
}

/** Polls `fn` until it returns a truthy value (or throws after `timeoutMs`): no fixed sleeps. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for a notification to reach one of the given statuses and returns it (API view). */
export async function waitForStatus(h: TestHerald, id: string, statuses: string[], timeoutMs = 60_000) {
  return eventually(async () => {
    const r = await h.api('GET', `/v1/notifications/${id}`);
    return r.status === 200 && statuses.includes(r.body.status) ? r.body : null;
  }, timeoutMs, `notification ${id} to be ${statuses.join('|')}`);
}

/**
 * A notification's automatic round is over: its workflow has no pending activity and its status
 * query reports a final status. (The execution itself stays open for the resend window.)
 */
export async function roundOver(h: TestHerald, workflowId: string, timeoutMs = 30_000) {
  const handle = h.temporal.client.workflow.getHandle(workflowId);
  return eventually(async () => {
    const description = await handle.describe();
    if (description.raw.pendingActivities?.length) return null;
    const state = await handle.query<{ status: string; attempts: number; manualResends: number }>('status');
    return ['sent', 'failed', 'cancelled'].includes(state.status) ? state : null;
  }, timeoutMs, `the round of ${workflowId} to end`);
}

/** Fast retries for tests: about 1 s apart. */
export const FAST_RETRY = { maxAttempts: 3, initialIntervalSeconds: 1, backoffCoefficient: 1, maxIntervalSeconds: 1 };

/**
 * One Herald and one receiver for a whole test file: started in beforeAll, stopped in afterAll.
 * The returned `h` and `receiver` forward to the live objects, so tests use them like variables.
 */
export function useHeraldAndReceiver(
  opts: Parameters<typeof startTestHerald>[0] = {},
  responder?: Responder,
): { h: TestHerald; receiver: Receiver } {
  let h: TestHerald | undefined;
  let receiver: Receiver | undefined;
  beforeAll(async () => {
    [h, receiver] = await Promise.all([startTestHerald(opts), startReceiver(responder)]);
  });
  afterAll(async () => {
    await h?.stop();
    await receiver?.close();
  });
  return { h: live(() => h, 'Herald'), receiver: live(() => receiver, 'the receiver') };
}

function live<T extends object>(get: () => T | undefined, what: string): T {
  return new Proxy({} as T, {
    get(_target, prop) {
      const value = get();
      if (!value) throw new Error(`${what} is used before beforeAll started it`);
      return Reflect.get(value, prop);
    },
  });
}
