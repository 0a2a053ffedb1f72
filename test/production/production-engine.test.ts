/**
 * The production shape (issue 19), every part its own process: a real Temporal server (1.29.1) on
 * PostgreSQL, FerretDB, the API, and two workers. A client posts a burst; one worker is SIGKILLed
 * mid-burst (and stays dead: the other carries on), then the Temporal server is SIGKILLed and its
 * supervisor starts it again on the same PostgreSQL. Every event answered 2xx must end with both
 * its notifications `sent` and seen by the receiver.
 *
 * It needs the server's binaries (built by `go install` on first use, minutes) and PostgreSQL, so it
 * is not part of `npm test`: its own Jest config runs it in CI's long phase (.ci/run). Locally:
 *   npx jest -c jest.production.config.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { startEmbeddedStack, type EmbeddedStack } from '../../src/embedded/stack';
import { freePort } from '../../src/embedded/child-process';
import { SERVER_SEARCH_ATTRIBUTES } from '../../src/embedded/temporal-real-server';
import { connectDatabase, type Database } from '../../src/db';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { heraldProcessEnv, killProcesses, spawnApiProcess, spawnWorkerProcess, type HeraldProcess } from '../helpers/herald-process';
import { apiClient, type ApiClient } from '../helpers/api-client';
import { eventually } from '../helpers/herald';

const API_KEY = 'production-engine-key-0123456789';
const EVENTS = 60;
const LANES = 12;
/** The worker dies once this many events were accepted; the Temporal server once this many. */
const KILL_WORKER_AFTER = 15;
const KILL_TEMPORAL_AFTER = 35;
const RECEIVER_DELAY_MS = 150;

let dataDir: string;
let stack: EmbeddedStack;
let db: Database;
let receiver: Receiver;
let env: NodeJS.ProcessEnv & { PORT: string };
let api: HeraldProcess & { url: string };
let workers: HeraldProcess[] = [];
let client: ApiClient;
let open = 0;

describe('the production shape: Temporal server on PostgreSQL, FerretDB, the API and two workers', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'herald-production-'));
    const [temporalPort, mongoPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    stack = await startEmbeddedStack({
      dataDir,
      temporal: { port: temporalPort, namespace: 'default', engine: 'server' },
      mongo: { port: mongoPort },
      tools: {
        ferretdbBin: process.env.HERALD_FERRETDB_BIN,
        cacheDir: process.env.HERALD_TOOLS_DIR,
        temporalServerBin: process.env.HERALD_TEMPORAL_SERVER_BIN,
        temporalSqlToolBin: process.env.HERALD_TEMPORAL_SQL_TOOL_BIN,
        postgresBinDir: process.env.HERALD_POSTGRES_BIN_DIR,
      },
      log: (line) => process.stdout.write(`${line}\n`),
    });
    receiver = await startReceiver(async () => {
      open++;
      await delay(RECEIVER_DELAY_MS);
      open--;
      return { status: 200, body: 'ok' };
    });
    env = heraldProcessEnv({ port: apiPort, temporalAddress: stack.temporalAddress!, mongodbUri: `${stack.mongoUriBase}/herald_production`, taskQueue: 'herald-production', apiKey: API_KEY, dataDir });
    client = apiClient(`http://127.0.0.1:${env.PORT}`, API_KEY);
    [api, ...workers] = await Promise.all([spawnApiProcess(env, 120_000), spawnWorkerProcess(env, 120_000), spawnWorkerProcess(env, 120_000)]);
    db = await connectDatabase(env.MONGODB_URI!);
    for (const name of ['a', 'b']) {
      const res = await client.request('POST', '/v1/webhooks', {
        name: `production ${name}`,
        eventTypes: ['production.burst'],
        url: `${receiver.url}/${name}`,
        timeoutSeconds: 3,
        retry: { maxAttempts: 30, initialIntervalSeconds: 1, backoffCoefficient: 1, maxIntervalSeconds: 1 },
      });
      expect(res?.status).toBe(201);
    }
  }, 900_000);

  afterAll(async () => {
    await killProcesses([api, ...workers]);
    await db?.close();
    await receiver?.close();
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  test('the namespace and every Herald search attribute were created through the operator API', async () => {
    expect(stack.engine).toBe('server');
    const connection = await Connection.connect({ address: stack.temporalAddress! });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const name of SERVER_SEARCH_ATTRIBUTES) expect(customAttributes?.[name]).toBe(2 /* KEYWORD */);
    } finally {
      await connection.close();
    }
  });

  test('a worker killed mid-burst, then the Temporal server killed and restarted: every accepted event delivered', async () => {
    const run = randomBytes(3).toString('hex');
    const events = Array.from({ length: EVENTS }, (_, i) => ({ key: `${run}-${i}`, body: { type: 'production.burst', data: { run, n: i } }, id: '' }));
    let accepted = 0;
    let workerKill: Promise<number> | undefined;
    let temporalKill: Promise<number> | undefined;
    let workerKillBegun!: () => void;
    let temporalKillBegun!: () => void;
    const workerKilling = new Promise<void>((r) => (workerKillBegun = r));
    const temporalKilling = new Promise<void>((r) => (temporalKillBegun = r));

    const killWorker = async () => {
      await eventually(async () => open > 0, 30_000, 'an attempt in flight at the receiver');
      const at = accepted;
      workerKillBegun();
      workers[0].child.kill('SIGKILL');
      await workers[0].exited();
      return at;
    };
    const killTemporal = async () => {
      const at = accepted;
      const restarts = stack.restarts('temporal');
      temporalKillBegun();
      stack.process('temporal')!.child.kill('SIGKILL');
      await eventually(async () => stack.restarts('temporal') > restarts, 120_000, 'the Temporal server to be restarted');
      return at;
    };

    let next = 0;
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        while (next < events.length) {
          const i = next++;
          const e = events[i];
          // The kills always come mid-burst: later events wait until each kill has begun.
          if (i >= KILL_WORKER_AFTER + LANES) await workerKilling;
          if (i >= KILL_TEMPORAL_AFTER + LANES) await temporalKilling;
          e.id = await postUntilAccepted(e.key, e.body);
          accepted++;
          if (accepted >= KILL_WORKER_AFTER && !workerKill) workerKill = killWorker();
          if (accepted >= KILL_TEMPORAL_AFTER && workerKill && !temporalKill) temporalKill = workerKill.then(killTemporal);
        }
      }),
    );
    const [workerKilledAt, temporalKilledAt] = await Promise.all([workerKill!, temporalKill!]);
    expect(workerKilledAt).toBeLessThan(EVENTS);
    expect(temporalKilledAt).toBeLessThan(EVENTS);
    expect(workers[0].child.signalCode).toBe('SIGKILL');
    expect(workers[1].child.exitCode).toBeNull();

    const eventIds = events.map((e) => e.id);
    const deadline = Date.now() + 300_000;
    for (;;) {
      const notifications = await db.models.Notification.find({ eventId: { $in: eventIds } }, { status: 1 }).lean().catch(() => null);
      if (notifications) {
        const seen = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
        const missing = notifications.filter((n) => n.status !== 'sent' || !seen.has(String(n._id)));
        if (notifications.length === EVENTS * 2 && missing.length === 0) break;
        if (Date.now() > deadline) {
          throw new Error(`${notifications.length}/${EVENTS * 2} notifications, not sent or not received: ${JSON.stringify(missing.slice(0, 10))}`);
        }
      }
      await delay(500);
    }
    expect(await db.models.Event.countDocuments({ _id: { $in: eventIds } })).toBe(EVENTS);
    process.stdout.write(
      `production-engine ${JSON.stringify({ events: EVENTS, workerKilledAfter: workerKilledAt, temporalKilledAfter: temporalKilledAt, temporalRestarts: stack.restarts('temporal'), received: receiver.requests.length })}\n`,
    );
  }, 600_000);
});

/** Posts until a 2xx (no answer or a 5xx promised nothing: the same Idempotency-Key again). */
async function postUntilAccepted(key: string, body: unknown): Promise<string> {
  return String((await client.postUntilAccepted(key, body, { timeoutMs: 180_000 })).id);
}
