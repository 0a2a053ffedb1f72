/**
 * PostgreSQL for the `server` engine (a real Temporal server): Debian's binaries, or any
 * PostgreSQL 12+ whose bin directory HERALD_POSTGRES_BIN_DIR names, a cluster of its own under the
 * data dir, listening on 127.0.0.1 only, trust authentication for the one local user `temporal`.
 *
 * PostgreSQL refuses to run as root. Herald often does (containers, CI): then initdb and postgres
 * run in a user namespace where Herald's uid is mapped to `nobody`, so PostgreSQL sees an
 * unprivileged user while the files stay owned by Herald's user, under the 0700 data dir.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { assertPortFree, startProcess, waitUntilReady, type ManagedProcess } from './child-process';
import { isExecutable } from './tools';
import { fileExists } from './files';

const run = promisify(execFile);

export const POSTGRES_USER = 'temporal';

export interface PostgresOptions {
  /** The directory holding `postgres` and `initdb`. */
  binDir: string;
  /** The cluster's directory (created by initdb on first start). */
  dataDir: string;
  port: number;
  /**
   * `on`: every commit waits for its WAL flush (fsync). `off`: the commit returns once the WAL is
   * written to the OS; a crash of any process loses nothing, a power loss or kernel crash may lose
   * the last commits (at most about 0.6 s), never corrupting the database. Default `on`.
   */
  synchronousCommit?: 'on' | 'off';
}

export interface RunningPostgres {
  host: string;
  port: number;
  process: ManagedProcess;
}

/** Where Debian (and most Linux distributions) put each major version's server binaries. */
const DISTRO_ROOT = '/usr/lib/postgresql';

/**
 * The bin directory of a PostgreSQL server: the explicit one, else the newest Debian major
 * version, else `postgres` on the PATH. One clear message when there is none.
 */
export async function findPostgres(explicitBinDir?: string): Promise<string> {
  if (explicitBinDir) {
    if ((await isExecutable(path.join(explicitBinDir, 'postgres'))) && (await isExecutable(path.join(explicitBinDir, 'initdb')))) return explicitBinDir;
    throw new Error(`HERALD_POSTGRES_BIN_DIR=${explicitBinDir} does not hold the PostgreSQL server binaries (postgres, initdb)`);
  }
  const versions = await fs.readdir(DISTRO_ROOT).catch(() => [] as string[]);
  for (const v of versions.filter((x) => /^\d+$/.test(x)).sort((a, b) => Number(b) - Number(a))) {
    const dir = path.join(DISTRO_ROOT, v, 'bin');
    if ((await isExecutable(path.join(dir, 'postgres'))) && (await isExecutable(path.join(dir, 'initdb')))) return dir;
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    if ((await isExecutable(path.join(dir, 'postgres'))) && (await isExecutable(path.join(dir, 'initdb')))) return dir;
  }
  throw new Error(
    'HERALD_TEMPORAL_ENGINE=server needs PostgreSQL 12 or newer, and none was found.\n' +
      'Install it (Debian/Ubuntu: apt-get install postgresql), or point HERALD_POSTGRES_BIN_DIR at the directory holding postgres and initdb,\n' +
      'or use HERALD_TEMPORAL_ENGINE=dev.',
  );
}

/** PostgreSQL will not run as root: run it as `nobody` in a user namespace (see the top of this file). */
function asUnprivileged(file: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [file, args];
  return ['unshare', ['--user', '--map-user=65534', '--map-group=65534', file, ...args]];
}

async function initCluster(binDir: string, dataDir: string): Promise<void> {
  if (await fileExists(path.join(dataDir, 'PG_VERSION'))) return;
  // A half-made cluster (initdb killed) is removed and made again: nothing can be in it yet.
  await fs.rm(dataDir, { recursive: true, force: true });
  await fs.mkdir(path.dirname(dataDir), { recursive: true, mode: 0o700 });
  const [file, args] = asUnprivileged(path.join(binDir, 'initdb'), [
    '-D', dataDir, '-U', POSTGRES_USER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-instructions',
  ]);
  try {
    await run(file, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    const hint = process.getuid?.() === 0 ? ' (PostgreSQL cannot run as root; Herald runs it in a user namespace, which needs `unshare` and user namespaces enabled; or run Herald as a non-root user)' : '';
    throw new Error(`PostgreSQL's initdb failed in ${dataDir}${hint}:\n${(e.stderr ?? e.message).trim().split('\n').slice(-8).join('\n')}`);
  }
}

export async function startPostgres(opts: PostgresOptions): Promise<RunningPostgres> {
  await initCluster(opts.binDir, opts.dataDir);
  await assertPortFree(opts.port, 'HERALD_POSTGRES_PORT');
  const [file, args] = asUnprivileged(path.join(opts.binDir, 'postgres'), [
    '-D', opts.dataDir,
    '-p', String(opts.port),
    '-h', '127.0.0.1',
    // The socket lives in the (private) cluster directory, never in a shared /var/run or /tmp.
    '-k', opts.dataDir,
    // One machine, a handful of Temporal connections: small fixed memory; fsync always on.
    '-c', 'max_connections=100',
    '-c', 'shared_buffers=64MB',
    '-c', `synchronous_commit=${opts.synchronousCommit ?? 'on'}`,
    '-c', 'log_min_messages=warning',
    '-c', 'logging_collector=off',
  ]);
  // SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for every client to disconnect).
  const proc = startProcess('postgres', file, args, { stopSignal: 'SIGINT' });
  const isReady = path.join(opts.binDir, 'pg_isready');
  const probe = (await isExecutable(isReady))
    ? async () => {
        // 0: accepting connections (1 while it starts up or recovers after a crash).
        await run(isReady, ['-q', '-h', '127.0.0.1', '-p', String(opts.port), '-U', POSTGRES_USER, '-d', 'postgres']);
        return true;
      }
    : () => postgresAnswers('127.0.0.1', opts.port);
  await waitUntilReady(proc, probe, 60_000).catch(async (err: Error) => {
    await proc.stop();
    throw new Error(
      `PostgreSQL did not start (data ${opts.dataDir}, port ${opts.port}): ${err.message}\n` +
        `Check free disk space and memory. If its port is taken, set HERALD_POSTGRES_PORT. If the cluster is damaged, move ${opts.dataDir} aside: ` +
        'Herald then makes a new, empty one (the workflows in the old one are not in it).',
    );
  });
  return { host: '127.0.0.1', port: opts.port, process: proc };
}

/**
 * PostgreSQL answers its own protocol: an SSLRequest gets one byte back, 'S' or 'N'. Only the
 * postmaster answers it, and only once it accepts connections (before, the port is closed).
 * Recovery after a crash still refuses logins for a moment; the Temporal server retries those.
 */
function postgresAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => {
      const req = Buffer.alloc(8);
      req.writeInt32BE(8, 0);
      req.writeInt32BE(80877103, 4);
      socket.write(req);
    });
    socket.once('data', (b) => done(b[0] === 0x53 || b[0] === 0x4e));
  });
}
