/**
 * The embedded stack under `npm start` heals itself: a FerretDB or Temporal dev server killed
 * with SIGKILL comes back on the same port with its data while Herald keeps running, /readyz
 * names what is down meanwhile; a service that keeps dying makes Herald exit 1 with the reason.
 * Also, after a start every file Herald and its services keep is private (0700 / 0600).
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/embedded/child-process';
import { ensureTool } from '../../src/embedded/tools';
import { eventually } from '../helpers/herald';
import { alive, servicePids, startHerald, stopHerald } from '../helpers/npm-start';

let dataDir: string;

async function envFor(dir: string): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(await freePort()),
    HERALD_TEMPORAL_PORT: String(await freePort()),
    HERALD_TEMPORAL_UI_PORT: String(await freePort()),
    HERALD_MONGO_PORT: String(await freePort()),
    HERALD_DATA_DIR: dir,
    HERALD_LOG_LEVEL: 'warn',
  };
  delete env.TEMPORAL_ADDRESS;
  delete env.MONGODB_URI;
  delete env.HERALD_API_KEYS;
  delete env.HERALD_ENCRYPTION_KEY;
  return env;
}

beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'herald-heal-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

async function readyz(apiUrl: string) {
  const started = Date.now();
  const res = await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as { checks: Record<string, boolean>; down?: Record<string, string> }, ms: Date.now() - started };
}

/** SIGKILLs a service and waits until it is gone. */
async function killService(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await eventually(async () => !alive(pid), 10_000, `pid ${pid} to die`);
}

function modes(dir: string, out: Record<string, number> = {}): Record<string, number> {
  out[dir] = statSync(dir).mode & 0o777;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) modes(full, out);
    else out[path.relative(dataDir, full)] = statSync(full).mode & 0o777;
  }
  return out;
}

test('killed services come back on their ports with their data; /readyz names what is down meanwhile; files are private', async () => {
  // A data directory left world-readable by an older version: made private at start.
  chmodSync(dataDir, 0o755);
  mkdirSync(path.join(dataDir, 'ferretdb'), { mode: 0o755 });
  const env = await envFor(dataDir);
  const herald = await startHerald(env);
  try {
    const auth = { authorization: `Bearer ${herald.apiKey}`, 'content-type': 'application/json' };
    const created = await fetch(`${herald.apiUrl}/v1/webhooks`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'survives', eventTypes: ['x.y'], url: 'https://example.com/hook' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    const files = modes(dataDir);
    expect(files[dataDir]).toBe(0o700);
    expect(files).toMatchObject({ 'api-key': 0o600, 'encryption.key': 0o600, 'temporal/temporal.db': 0o600, 'ferretdb/herald.sqlite': 0o600 });
    for (const [file, mode] of Object.entries(files)) {
      const isDir = file === dataDir || statSync(path.resolve(dataDir, file)).isDirectory();
      expect([file, mode]).toEqual([file, isDir ? 0o700 : 0o600]);
    }

    // FerretDB: killed, restarted on the same port, the webhook still there.
    const before = servicePids(herald.proc.pid!);
    await killService(before.ferretdb);
    await eventually(async () => {
      const pid = servicePids(herald.proc.pid!).ferretdb;
      return pid !== undefined && pid !== before.ferretdb && (await readyz(herald.apiUrl)).status === 200;
    }, 60_000, 'FerretDB to be back');
    const again = await fetch(`${herald.apiUrl}/v1/webhooks/${id}`, { headers: auth });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { name: string }).name).toBe('survives');

    // Temporal: while it is down /readyz answers 503 at once, naming it; then it is back.
    await killService(before.temporal);
    const down = await readyz(herald.apiUrl);
    expect(down.status).toBe(503);
    expect(down.body.checks).toEqual({ mongodb: true, temporal: false });
    expect(Object.keys(down.body.down!)).toEqual(['temporal']);
    expect(down.ms).toBeLessThan(2000);
    await eventually(async () => {
      const pid = servicePids(herald.proc.pid!).temporal;
      return pid !== undefined && pid !== before.temporal && (await readyz(herald.apiUrl)).status === 200;
    }, 120_000, 'Temporal to be back');
    expect(herald.proc.exitCode).toBeNull();

    // The deaths were logged with their error.
    expect(herald.output()).toMatch(/embedded ferretdb died; restarting it/);
    expect(herald.output()).toMatch(/the embedded temporal was killed by SIGKILL/);
  } finally {
    const { code, children } = await stopHerald(herald);
    // It stops cleanly after a heal too (a Temporal client retry left over from the outage once
    // threw after the connection closed and made this exit 1), and takes its services with it.
    expect({ code, output: code === 0 ? '' : herald.output().slice(-3000) }).toEqual({ code: 0, output: '' });
    await eventually(async () => Object.values(children).every((pid) => !alive(pid)), 10_000, 'the services to be gone');
  }
}, 300_000);

test('a service that keeps dying makes Herald exit 1 with a message that says which and why', async () => {
  // A FerretDB that runs normally the first time and crashes at every restart.
  const real = await ensureTool('ferretdb', { explicitPath: process.env.HERALD_FERRETDB_BIN, cacheDir: process.env.HERALD_TOOLS_DIR });
  const bin = mkdtempSync(path.join(os.tmpdir(), 'herald-flaky-'));
  const wrapper = path.join(bin, 'ferretdb');
  writeFileSync(wrapper, `#!/bin/sh\nif [ -e '${bin}/started' ]; then echo 'simulated crash at start' >&2; exit 3; fi\ntouch '${bin}/started'\nexec '${real}' "$@"\n`, { mode: 0o755 });
  try {
    const herald = await startHerald({ ...(await envFor(dataDir)), HERALD_FERRETDB_BIN: wrapper });
    const children = servicePids(herald.proc.pid!);
    const exited = new Promise<number | null>((r) => herald.proc.once('exit', (code) => r(code)));
    await killService(children.ferretdb);
    expect(await exited).toBe(1);
    expect(herald.output()).toMatch(/Herald is stopping: the embedded ferretdb failed 5 times within 60 s; not restarting it again\. Last failure: ferretdb exited during start-up/);
    expect(herald.output()).toContain('simulated crash at start');
    for (const pid of Object.values(children)) await eventually(async () => !alive(pid), 10_000, `pid ${pid} to be stopped`);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}, 180_000);
