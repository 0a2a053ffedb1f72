/**
 * The embedded stack on its own: data survives a restart, and a start-up that fails halfway leaves
 * no child process behind, and it tells which processes and metrics endpoints it runs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { startEmbeddedStack } from '../../src/embedded/stack';
import { freePort, runningChildren } from '../../src/embedded/child-process';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'herald-stack-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

test('FerretDB data survives a stop and a restart of the stack', async () => {
  const port = await freePort();
  const first = await startEmbeddedStack({ dataDir, mongo: { port }, tools: {} });
  const conn = await mongoose.createConnection(`${first.mongoUriBase}/persist`).asPromise();
  await conn.db!.collection('things').insertOne({ _id: 'kept' as never, value: 42 });
  await conn.close();
  await first.stop();
  expect(runningChildren()).toBe(0);

  const second = await startEmbeddedStack({ dataDir, mongo: { port }, tools: {} });
  try {
    const again = await mongoose.createConnection(`${second.mongoUriBase}/persist`).asPromise();
    expect(await again.db!.collection('things').findOne({ _id: 'kept' as never })).toMatchObject({ value: 42 });
    await again.close();
  } finally {
    await second.stop();
  }
});

test('when one service cannot start, the other is stopped too and the error says why', async () => {
  // Occupy the FerretDB port: its start fails while Temporal starts normally, and must be stopped.
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const busyPort = (blocker.address() as net.AddressInfo).port;
  try {
    await expect(
      startEmbeddedStack({ dataDir, temporal: { port: await freePort(), namespace: 'default' }, mongo: { port: busyPort }, tools: {} }),
    ).rejects.toThrow(/port \d+ is already in use.*HERALD_MONGO_PORT/);
    expect(runningChildren()).toBe(0);
  } finally {
    blocker.close();
  }
});

test('the stack names its child processes and serves both services\' Prometheus metrics (the bench reads them)', async () => {
  const stack = await startEmbeddedStack({ dataDir, temporal: { port: await freePort(), namespace: 'default' }, mongo: { port: await freePort() }, tools: {} });
  try {
    expect(stack.processes.map((p) => p.name).sort()).toEqual(['ferretdb', 'temporal']);
    for (const p of stack.processes) {
      // The pid is the service itself (setpriv execs it), so /proc accounting measures the right process.
      expect(readFileSync(`/proc/${p.child.pid}/cmdline`, 'utf8')).toContain(p.name === 'temporal' ? 'start-dev' : '--handler=sqlite');
    }
    const temporal = await fetch(stack.temporalMetricsUrl!);
    expect(temporal.status).toBe(200);
    expect(await temporal.text()).toMatch(/^persistence_requests\{/m);
    const ferretdb = await fetch(`${stack.ferretdbDebugUrl}/debug/metrics`);
    expect(ferretdb.status).toBe(200);
    expect(await ferretdb.text()).toMatch(/^ferretdb_/m);
  } finally {
    await stack.stop();
  }
  expect(stack.processes).toHaveLength(0);
});
