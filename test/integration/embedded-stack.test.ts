/**
 * The embedded stack on its own: data survives a restart, a start-up that fails halfway leaves
 * no child process behind, a service killed with SIGKILL comes back on its port with its data, one
 * that keeps dying makes the stack give up, every file it keeps is private to its owner, and it
 * tells which processes and metrics endpoints it runs.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { Client, Connection } from '@temporalio/client';
import { startEmbeddedStack } from '../../src/embedded/stack';
import { ensureTool } from '../../src/embedded/tools';
import { eventually } from '../helpers/herald';
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

/** A logger that keeps what the supervisor logs, for asserting on it. */
function recordingLogger() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

const FAST_RESTARTS = { initialDelayMs: 50, maxDelayMs: 200 };

test('a SIGKILLed FerretDB is restarted on the same port, with its data, and the death is logged with the error', async () => {
  const port = await freePort();
  const { lines, logger } = recordingLogger();
  const stack = await startEmbeddedStack({ dataDir, mongo: { port }, tools: {}, logger, restartPolicy: FAST_RESTARTS });
  const conn = await mongoose.createConnection(`${stack.mongoUriBase}/heal`, { serverSelectionTimeoutMS: 30_000 }).asPromise();
  try {
    await conn.db!.collection('things').insertOne({ _id: 'kept' as never, value: 7 });
    const first = stack.process('ferretdb')!;
    const died = new Promise((r) => first.child.once('exit', r));
    process.kill(first.child.pid!, 'SIGKILL');
    await died;

    await eventually(async () => stack.restarts('ferretdb') === 1, 60_000, 'FerretDB to be restarted');
    expect(stack.process('ferretdb')!.child.pid).not.toBe(first.child.pid);
    expect(stack.mongoUriBase).toBe(`mongodb://127.0.0.1:${port}`);
    // The same connection (same address) finds the data written before the kill.
    expect(await conn.db!.collection('things').findOne({ _id: 'kept' as never })).toMatchObject({ value: 7 });

    const death = lines.find((l) => l.level === 'warn');
    expect(death?.msg).toBe('embedded ferretdb died; restarting it');
    expect((death?.obj.err as Error).message).toMatch(/the embedded ferretdb was killed by SIGKILL/);
    expect(lines.some((l) => l.level === 'info' && l.msg === 'embedded ferretdb restarted')).toBe(true);
  } finally {
    await conn.close();
    await stack.stop();
  }
  expect(runningChildren()).toBe(0);
}, 120_000);

test('a SIGKILLed Temporal dev server is restarted on the same port, with its workflows', async () => {
  const port = await freePort();
  const stack = await startEmbeddedStack({ dataDir, temporal: { port, namespace: 'default' }, tools: {}, restartPolicy: FAST_RESTARTS });
  const connection = await Connection.connect({ address: stack.temporalAddress! });
  try {
    const client = new Client({ connection });
    // No worker polls this queue: the workflow simply stays running, stored in the dev server's SQLite.
    const handle = await client.workflow.start('notAWorkflow', { taskQueue: 'nobody-polls', workflowId: 'kept-across-restart' });
    const first = stack.process('temporal')!;
    const died = new Promise((r) => first.child.once('exit', r));
    process.kill(first.child.pid!, 'SIGKILL');
    await died;

    await eventually(async () => stack.restarts('temporal') === 1, 120_000, 'Temporal to be restarted');
    expect(stack.temporalAddress).toBe(`127.0.0.1:${port}`);
    const description = await eventually(() => handle.describe(), 30_000, 'the workflow to be found again');
    expect(description.status.name).toBe('RUNNING');
  } finally {
    await connection.close();
    await stack.stop();
  }
  expect(runningChildren()).toBe(0);
}, 180_000);

test('a service that keeps dying makes the stack give up with a message that says so', async () => {
  // A FerretDB that runs normally the first time and crashes at every restart.
  const real = await ensureTool('ferretdb', { explicitPath: process.env.HERALD_FERRETDB_BIN, cacheDir: process.env.HERALD_TOOLS_DIR });
  // Outside the data directory, whose files the stack makes 0600 (not executable).
  const bin = mkdtempSync(path.join(os.tmpdir(), 'herald-flaky-'));
  const marker = path.join(bin, 'started-once');
  const wrapper = path.join(bin, 'ferretdb');
  writeFileSync(wrapper, `#!/bin/sh\nif [ -e '${marker}' ]; then echo 'simulated crash at start' >&2; exit 3; fi\ntouch '${marker}'\nexec '${real}' "$@"\n`, { mode: 0o755 });

  let fatal: (err: Error) => void = () => {};
  const gaveUp = new Promise<Error>((resolve) => (fatal = resolve));
  const { lines, logger } = recordingLogger();
  const stack = await startEmbeddedStack({
    dataDir,
    mongo: { port: await freePort() },
    tools: { ferretdbBin: wrapper },
    logger,
    restartPolicy: { ...FAST_RESTARTS, maxFailures: 3, windowMs: 60_000 },
    onFatal: fatal,
  });
  try {
    process.kill(stack.process('ferretdb')!.child.pid!, 'SIGKILL');
    const err = await gaveUp;
    expect(err.message).toMatch(/^the embedded ferretdb failed 3 times within 60 s; not restarting it again\. Last failure: ferretdb exited during start-up/);
    expect(err.message).toContain('simulated crash at start');
    // One death, then two failed restarts, each logged with its error; then the give-up.
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(2);
    expect(lines.filter((l) => l.level === 'error').map((l) => (l.obj.err as Error).message)).toEqual([err.message]);
    expect(stack.restarts('ferretdb')).toBe(0);
  } finally {
    await stack.stop();
    rmSync(bin, { recursive: true, force: true });
  }
  expect(runningChildren()).toBe(0);
}, 120_000);

test('the data directory is 0700 and the services write their files 0600, also over an existing wider directory', async () => {
  chmodSync(dataDir, 0o755);
  const port = await freePort();
  const stack = await startEmbeddedStack({ dataDir, temporal: { port: await freePort(), namespace: 'default' }, mongo: { port }, tools: {} });
  try {
    const conn = await mongoose.createConnection(`${stack.mongoUriBase}/modes`).asPromise();
    await conn.db!.collection('things').insertOne({ value: 1 });
    await conn.close();
  } finally {
    await stack.stop();
  }
  const modes = listModes(dataDir);
  expect(modes[dataDir]).toBe(0o700);
  const files = Object.entries(modes).filter(([, m]) => m !== 0o700);
  // The SQLite stores of both services (and their journals) are among them.
  expect(files.map(([f]) => path.relative(dataDir, f))).toEqual(expect.arrayContaining(['temporal/temporal.db', 'ferretdb/modes.sqlite']));
  for (const [file, mode] of Object.entries(modes)) {
    expect([file, mode]).toEqual([file, statSync(file).isDirectory() ? 0o700 : 0o600]);
  }
}, 180_000);

function listModes(dir: string, out: Record<string, number> = {}): Record<string, number> {
  out[dir] = statSync(dir).mode & 0o777;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) listModes(full, out);
    else out[full] = statSync(full).mode & 0o777;
  }
  return out;
}
