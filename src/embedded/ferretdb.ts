/** FerretDB v1 on SQLite: the embedded MongoDB-compatible store, data under the data dir. */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { startProcess, waitForPort, type ManagedProcess } from './child-process';

export interface FerretDbOptions {
  bin: string;
  dataDir: string;
  port: number;
}

export interface RunningFerretDb {
  /** Without a database name: callers append their own (`/herald`, or one per test file). */
  uriBase: string;
  process: ManagedProcess;
}

export async function startFerretDb(opts: FerretDbOptions): Promise<RunningFerretDb> {
  const dir = path.join(opts.dataDir, 'ferretdb');
  await fs.mkdir(dir, { recursive: true });
  const proc = startProcess('ferretdb', opts.bin, [
    '--handler=sqlite',
    `--sqlite-url=file:${dir}/`,
    `--listen-addr=127.0.0.1:${opts.port}`,
    '--telemetry=disable',
    '--debug-addr=127.0.0.1:0',
    `--state-dir=${dir}`,
    '--log-level=error',
  ]);
  await waitForPort(proc, '127.0.0.1', opts.port, 60_000).catch(async (err) => {
    await proc.stop();
    throw err;
  });
  return { uriBase: `mongodb://127.0.0.1:${opts.port}`, process: proc };
}
