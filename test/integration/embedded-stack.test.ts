/**
 * The embedded stack on its own: data survives a restart, and a start-up that fails halfway leaves
 * no child process behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
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
