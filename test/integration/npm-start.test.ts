/**
 * `npm start` as a user runs it (src/main.ts in its own process, embedded services included):
 * it prints the API URL, the key and the Web UI URL; SIGINT stops it and both services; a second
 * start on the same data directory finds what the first one stored.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/embedded/child-process';
import { alive, servicePids, startHerald, stopHerald, type Started } from '../helpers/npm-start';
import { eventually } from '../helpers/herald';

let dataDir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'herald-start-'));
  env = {
    ...process.env,
    PORT: String(await freePort()),
    HERALD_TEMPORAL_PORT: String(await freePort()),
    HERALD_TEMPORAL_UI_PORT: String(await freePort()),
    HERALD_MONGO_PORT: String(await freePort()),
    HERALD_DATA_DIR: dataDir,
    HERALD_LOG_LEVEL: 'warn',
  };
  delete env.TEMPORAL_ADDRESS;
  delete env.MONGODB_URI;
  delete env.HERALD_API_KEYS;
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const start = () => startHerald(env);

async function stop(s: Started): Promise<Record<string, number>> {
  const { code, children } = await stopHerald(s);
  expect(code).toBe(0);
  return children;
}

test('prints the URLs and the key, stops everything on SIGINT, and keeps its data across restarts', async () => {
  const first = await start();
  expect(first.apiUrl).toBe(`http://127.0.0.1:${env.PORT}`);
  expect(first.uiUrl).toBe(`http://127.0.0.1:${env.HERALD_TEMPORAL_UI_PORT}`);
  expect(first.apiKey).toBe(readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim());
  expect((await fetch(`${first.apiUrl}/readyz`)).status).toBe(200);
  expect((await fetch(first.uiUrl)).status).toBe(200);
  // The console is served by the same process, and knows the Web UI for its workflow links.
  expect(first.consoleUrl).toBe(`${first.apiUrl}/console/`);
  const page = await fetch(first.consoleUrl);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<script type="module" src="js/app.js">');
  const info = await fetch(`${first.apiUrl}/v1/info`, { headers: { authorization: `Bearer ${first.apiKey}` } });
  expect(((await info.json()) as { temporalUiUrl: string }).temporalUiUrl).toBe(first.uiUrl);
  // Retention: the worker made the herald-purge schedule, the embedded namespace keeps closed histories for HERALD_RETENTION.
  const retention = (await (await fetch(`${first.apiUrl}/v1/retention`, { headers: { authorization: `Bearer ${first.apiKey}` } })).json()) as {
    schedule: { id: string; nextRunAt: string } | null;
    temporal: { historyRetentionSeconds: number };
  };
  expect(retention.schedule).toMatchObject({ id: 'herald-purge', nextRunAt: expect.any(String) });
  expect(retention.temporal.historyRetentionSeconds).toBe(30 * 86400);

  const auth = { authorization: `Bearer ${first.apiKey}`, 'content-type': 'application/json' };
  const created = await fetch(`${first.apiUrl}/v1/webhooks`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ name: 'kept', eventTypes: ['x.y'], url: 'https://example.com/hook' }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };

  const children = await stop(first);
  expect(Object.keys(children).sort()).toEqual(['ferretdb', 'temporal']);
  for (const pid of Object.values(children)) expect(alive(pid)).toBe(false);

  // A changed HERALD_RETENTION reaches the namespace on the next start.
  const second = await startHerald({ ...env, HERALD_RETENTION: '90d' });
  try {
    expect(second.apiKey).toBe(first.apiKey);
    // Right after a restart on a loaded machine the view may answer 503 (Temporal did not answer
    // within its 5 s deadline): what is checked is the retention it reports once Temporal answers.
    const view = await eventually(async () => {
      const res = await fetch(`${second.apiUrl}/v1/retention`, { headers: auth });
      return res.status === 200 ? ((await res.json()) as { temporal: { historyRetentionSeconds: number } }) : null;
    }, 60_000, 'GET /v1/retention answering 200 after the restart');
    expect(view.temporal.historyRetentionSeconds).toBe(90 * 86400);
    const again = await fetch(`${second.apiUrl}/v1/webhooks/${id}`, { headers: auth });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { name: string }).name).toBe('kept');
  } finally {
    const more = await stop(second);
    expect(Object.keys(more)).toHaveLength(2);
    for (const pid of Object.values(more)) expect(alive(pid)).toBe(false);
  }
}, 240_000);

test('a SIGKILLed Herald leaves no service behind', async () => {
  const s = await start();
  const children = servicePids(s.proc.pid!);
  expect(Object.keys(children).sort()).toEqual(['ferretdb', 'temporal']);
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGKILL');
  await exited;
  // The kernel delivers the parent-death signal at once; give it a moment to be reaped.
  const deadline = Date.now() + 10_000;
  while (Object.values(children).some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of Object.values(children)) expect(alive(pid)).toBe(false);
}, 120_000);
