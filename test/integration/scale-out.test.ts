/**
 * The scale-out roles as separate processes (`npm run api`, `npm run worker` ×2) against one
 * Temporal and one MongoDB: events accepted by the API process are delivered by the workers, and
 * both workers take a share (each counts its own attempts on its /metrics).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { generateEncryptionKey } from '../../src/crypto/secrets';
import { freePort } from '../../src/embedded/child-process';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { eventually } from '../helpers/herald';

const ROOT = path.resolve(__dirname, '..', '..');
const KEY = `scale-${randomBytes(12).toString('hex')}`;
const processes: ChildProcess[] = [];
let receiver: Receiver;
let apiUrl: string;
let workerMetrics: string[];

function run(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  processes.push(proc);
  return proc;
}

beforeAll(async () => {
  receiver = await startReceiver();
  const suffix = randomBytes(4).toString('hex');
  const common = {
    ...process.env,
    TEMPORAL_ADDRESS: process.env.HERALD_TEST_TEMPORAL_ADDRESS,
    MONGODB_URI: `${process.env.HERALD_TEST_MONGO_URI_BASE}/herald_scale_${suffix}`,
    HERALD_TASK_QUEUE: `herald-scale-${suffix}`,
    HERALD_API_KEYS: KEY,
    // Every process must share the key that seals secrets (and so signing secrets).
    HERALD_ENCRYPTION_KEY: generateEncryptionKey(),
    HERALD_ALLOW_PRIVATE_DESTINATIONS: 'true',
    HERALD_DATA_DIR: process.env.HERALD_TEST_DATA_DIR,
    HERALD_LOG_LEVEL: 'warn',
  };
  const apiPort = await freePort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  run('src/api.ts', { ...common, PORT: String(apiPort) });
  const metricsPorts = [await freePort(), await freePort()];
  workerMetrics = metricsPorts.map((p) => `http://127.0.0.1:${p}/metrics`);
  for (const p of metricsPorts) run('src/worker.ts', { ...common, HERALD_WORKER_METRICS_PORT: String(p) });
  await eventually(async () => (await fetch(`${apiUrl}/readyz`)).status === 200, 60_000, 'the API process to be ready');
  await eventually(async () => {
    const up = await Promise.all(workerMetrics.map((u) => fetch(u).then((r) => r.ok, () => false)));
    return up.every(Boolean);
  }, 60_000, 'both worker processes to serve /metrics');
}, 120_000);

afterAll(async () => {
  await Promise.all(
    processes.map((p) => new Promise<void>((r) => (p.exitCode !== null ? r() : (p.once('exit', () => r()), p.kill('SIGTERM'))))),
  );
  await receiver?.close();
});

async function attemptsCounted(url: string): Promise<number> {
  const text = await (await fetch(url)).text();
  const m = /^herald_attempts_total\{outcome="success"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

test('events accepted by the API process are delivered by two worker processes sharing the work', async () => {
  const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  const created = await fetch(`${apiUrl}/v1/webhooks`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ name: 'scale', eventTypes: ['scale.test'], url: `${receiver.url}/scale` }),
  });
  expect(created.status).toBe(201);

  const events = 20;
  const ids = await Promise.all(
    Array.from({ length: events }, async (_, i) => {
      const res = await fetch(`${apiUrl}/v1/events`, { method: 'POST', headers: auth, body: JSON.stringify({ type: 'scale.test', data: { i } }) });
      expect(res.status).toBe(202);
      return ((await res.json()) as { notifications: Array<{ id: string }> }).notifications[0].id;
    }),
  );
  await receiver.waitForRequests(events, 60_000);
  expect(new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size).toBe(events);
  for (const id of ids) {
    await eventually(async () => {
      const r = await fetch(`${apiUrl}/v1/notifications/${id}`, { headers: auth });
      return ((await r.json()) as { status: string }).status === 'sent';
    }, 30_000, `notification ${id} to be sent`);
  }
  const perWorker = await Promise.all(workerMetrics.map(attemptsCounted));
  expect(perWorker.reduce((a, b) => a + b, 0)).toBe(events);
  expect(perWorker.every((n) => n > 0)).toBe(true);
}, 120_000);
