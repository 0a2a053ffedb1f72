/**
 * /readyz has a deadline: with Temporal stopped, or replaced by something that accepts connections
 * and never answers, it still answers 503 within 2 s and names Temporal, while MongoDB stays "ok".
 * Herald runs against its own Temporal dev server here, so stopping it disturbs no other test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/embedded/child-process';
import { ensureTool } from '../../src/embedded/tools';
import { startTemporalServer, type RunningTemporal } from '../../src/embedded/temporal-server';
import { READINESS_CHECK_TIMEOUT_MS } from '../../src/routes/health';
import { startTestHerald, type TestHerald } from '../helpers/herald';

let dataDir: string;
let temporal: RunningTemporal;
let h: TestHerald;
let blackHole: net.Server | undefined;
const held: net.Socket[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'herald-readyz-'));
  const bin = await ensureTool('temporal', { explicitPath: process.env.HERALD_TEMPORAL_BIN, cacheDir: process.env.HERALD_TOOLS_DIR });
  temporal = await startTemporalServer({ bin, dataDir, port: await freePort(), namespace: 'default' });
  h = await startTestHerald({ worker: false, env: { TEMPORAL_ADDRESS: temporal.address } });
}, 120_000);

afterAll(async () => {
  // The Temporal client retries a failed call on a timer until the call's deadline; closing the
  // connection before that timer fires makes it throw "Channel has been shut down". Nothing to
  // await: wait out the deadline.
  await new Promise((r) => setTimeout(r, READINESS_CHECK_TIMEOUT_MS + 500));
  for (const s of held) s.destroy();
  blackHole?.close();
  await h?.stop();
  await temporal?.process.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function readyz(): Promise<{ status: number; body: any; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${h.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.json(), ms: Date.now() - started };
}

test('ready: the same answer as always', async () => {
  expect(await readyz()).toMatchObject({ status: 200, body: { status: 'ready', checks: { mongodb: true, temporal: true } } });
  expect((await readyz()).body).not.toHaveProperty('down');
});

test('Temporal stopped: 503 within 2 s, naming temporal', async () => {
  await temporal.process.stop();
  const res = await readyz();
  expect(res.status).toBe(503);
  expect(res.body).toEqual({ status: 'not_ready', checks: { mongodb: true, temporal: false }, down: { temporal: expect.any(String) } });
  expect(res.ms).toBeLessThan(2000);
});

test('Temporal hanging (the port accepts connections and never answers): 503 within 2 s, naming temporal', async () => {
  const port = Number(temporal.address.split(':')[1]);
  blackHole = net.createServer((socket) => void held.push(socket));
  await new Promise<void>((resolve) => blackHole!.listen(port, '127.0.0.1', resolve));
  const res = await readyz();
  expect(res.status).toBe(503);
  expect(res.body.checks).toEqual({ mongodb: true, temporal: false });
  expect(res.body.down.temporal).toEqual(expect.any(String));
  expect(res.ms).toBeLessThan(2000);
});
