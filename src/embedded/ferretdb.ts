/** FerretDB v1 on SQLite: the embedded MongoDB-compatible store, data under the data dir. */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import mongoose from 'mongoose';
import { assertPortFree, freePort, startProcess, waitUntilReady, type ManagedProcess } from './child-process';

export interface FerretDbOptions {
  bin: string;
  dataDir: string;
  port: number;
}

export interface RunningFerretDb {
  /** Without a database name: callers append their own (`/herald`, or one per test file). */
  uriBase: string;
  /** FerretDB's debug handler (Prometheus metrics at /debug/metrics). */
  debugUrl: string;
  process: ManagedProcess;
}

export async function startFerretDb(opts: FerretDbOptions): Promise<RunningFerretDb> {
  const dir = path.join(opts.dataDir, 'ferretdb');
  await fs.mkdir(dir, { recursive: true });
  await assertPortFree(opts.port, 'HERALD_MONGO_PORT');
  const debugPort = await freePort();
  const proc = startProcess('ferretdb', opts.bin, [
    '--handler=sqlite',
    `--sqlite-url=file:${dir}/`,
    `--listen-addr=127.0.0.1:${opts.port}`,
    '--telemetry=disable',
    `--debug-addr=127.0.0.1:${debugPort}`,
    `--state-dir=${dir}`,
    '--log-level=error',
  ]);
  const uriBase = `mongodb://127.0.0.1:${opts.port}`;
  await waitUntilReady(proc, () => pingMongo(uriBase), 60_000).catch(async (err) => {
    await proc.stop();
    throw err;
  });
  return { uriBase, debugUrl: `http://127.0.0.1:${debugPort}`, process: proc };
}

/** A real `ping` over the wire protocol: only FerretDB itself answers it. */
async function pingMongo(uriBase: string): Promise<boolean> {
  const conn = mongoose.createConnection(uriBase, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 });
  try {
    await conn.asPromise();
    await conn.db!.admin().ping();
    return true;
  } finally {
    await conn.close().catch(() => {});
  }
}
