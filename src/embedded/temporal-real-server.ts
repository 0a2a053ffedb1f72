/**
 * HERALD_TEMPORAL_ENGINE=server: a real Temporal server (go.temporal.io/server 1.29.1, the
 * version the dev server embeds) with PostgreSQL persistence and SQL visibility, set up exactly as
 * a production install is: the schema by the sql tool, the namespace and Herald's search
 * attributes through the frontend and operator APIs. Its data lives under
 * `<data>/temporal-server/` (PostgreSQL's cluster in `postgres/`, the generated config in
 * `config/`), apart from the dev server's `<data>/temporal/`.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { SEARCH_ATTRIBUTE_NAMES } from '../../workflows/shared';
import { assertPortFree, freePort, startProcess, waitUntilReady, type ManagedProcess } from './child-process';
import { POSTGRES_USER } from './postgres';
import { fileExists } from './files';

const run = promisify(execFile);

/**
 * Herald's Keyword search attributes. The accounts work adds HeraldAccountId to the workflows'
 * list; it is registered here either way, so a data dir set up now already has it.
 */
export const SERVER_SEARCH_ATTRIBUTES: readonly string[] = [...new Set<string>([...SEARCH_ATTRIBUTE_NAMES, 'HeraldAccountId'])];

/** The levers the bench turns (README, "Production engine"); defaults are the measured choice. */
export interface ServerTuning {
  /** Fixed when the cluster is created: a data dir keeps the count it was made with. */
  numHistoryShards: number;
  /** Connections per pool (the default store; visibility gets a quarter, at least 2). */
  maxConns: number;
  /** Partitions of each task queue (Temporal's default is 4; one machine needs 1). */
  taskQueuePartitions: number;
  /** PostgreSQL's synchronous_commit (see postgres.ts). */
  synchronousCommit: 'on' | 'off';
}

export const DEFAULT_SERVER_TUNING: Readonly<ServerTuning> = Object.freeze({
  numHistoryShards: 1,
  maxConns: 10,
  taskQueuePartitions: 1,
  synchronousCommit: 'on',
});

export interface RealServerOptions {
  serverBin: string;
  sqlToolBin: string;
  /** `<data>/temporal-server` */
  dataDir: string;
  port: number;
  namespace: string;
  historyRetentionSeconds?: number;
  postgres: { host: string; port: number };
  tuning?: Partial<ServerTuning>;
}

export interface RunningRealServer {
  address: string;
  metricsUrl: string;
  process: ManagedProcess;
}

const DATABASES = [
  { name: 'temporal', schema: 'postgresql/v12/temporal' },
  { name: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
] as const;

/**
 * Creates both databases and brings their schemas to the version this server needs. The first
 * setup is marked done by a file inside the PostgreSQL cluster's directory (`clusterDir`: a new
 * cluster has no marker), so it never runs twice on one cluster; `update-schema` runs at every
 * start (it applies only what is missing, so a newer server upgrades an older data dir's schema).
 */
export async function setupSchema(opts: Pick<RealServerOptions, 'sqlToolBin' | 'postgres'> & { clusterDir: string }): Promise<void> {
  const base = ['--endpoint', opts.postgres.host, '--port', String(opts.postgres.port), '--user', POSTGRES_USER, '--password', '', '--plugin', 'postgres12'];
  const tool = async (db: string, args: string[]) => {
    try {
      await run(opts.sqlToolBin, [...base, '--database', db, ...args], { maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      const e = err as Error & { stderr?: string; stdout?: string };
      throw new Error(`temporal-sql-tool ${args[0]} on ${db} failed:\n${`${e.stderr ?? ''}${e.stdout ?? ''}`.trim().split('\n').slice(-6).join('\n') || e.message}`);
    }
  };
  for (const db of DATABASES) {
    const marker = path.join(opts.clusterDir, `herald-schema-${db.name}`);
    if (!(await fileExists(marker))) {
      // A first setup cut off halfway left at most an empty database: drop it and start over.
      await tool(db.name, ['drop-database', '--force']).catch(() => {});
      await tool(db.name, ['create-database']);
      await tool(db.name, ['setup-schema', '-v', '0.0']);
      await fs.writeFile(marker, `${new Date().toISOString()}\n`, { mode: 0o600 });
    }
    await tool(db.name, ['update-schema', '--schema-name', db.schema]);
  }
}

/** The server's configuration: the development-postgres12 sample, on loopback ports of our choosing. */
export function serverConfigYaml(o: {
  port: number;
  ports: { httpPort: number; historyPort: number; matchingPort: number; workerPort: number; membership: [number, number, number, number] };
  metricsPort: number;
  postgres: { host: string; port: number };
  tuning: ServerTuning;
  dynamicConfigFile: string;
}): string {
  const store = (db: string, maxConns: number) => `
      sql:
        pluginName: "postgres12"
        databaseName: "${db}"
        connectAddr: "${o.postgres.host}:${o.postgres.port}"
        connectProtocol: "tcp"
        user: "${POSTGRES_USER}"
        password: ""
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
  const service = (grpc: number, membership: number, extra = '') => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${extra}`;
  return `# Generated by Herald at every start (src/embedded/temporal-real-server.ts): edits are overwritten.
log:
  stdout: true
  level: error

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${o.tuning.numHistoryShards}
  datastores:
    postgres-default:${store('temporal', o.tuning.maxConns)}
    postgres-visibility:${store('temporal_visibility', Math.max(2, Math.ceil(o.tuning.maxConns / 4)))}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:${o.metricsPort}"

services:
  frontend:${service(o.port, o.ports.membership[0], `\n      httpPort: ${o.ports.httpPort}`)}
  history:${service(o.ports.historyPort, o.ports.membership[1])}
  matching:${service(o.ports.matchingPort, o.ports.membership[2])}
  worker:${service(o.ports.workerPort, o.ports.membership[3])}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${o.port}"

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: "${o.dynamicConfigFile}"
  pollInterval: "10s"
`;
}

/** Dynamic config: the dev server's settings Herald relies on, and the one-machine partitions. */
export function dynamicConfigYaml(tuning: ServerTuning): string {
  const v = (key: string, value: string | number | boolean) => `${key}:\n  - value: ${value}\n    constraints: {}\n`;
  return [
    '# Generated by Herald at every start (src/embedded/temporal-real-server.ts): edits are overwritten.\n',
    // As the dev server runs (src/embedded/temporal-server.ts): activities handed out eagerly in
    // the workflow task response, and eager workflow start for the in-process worker.
    v('system.enableActivityEagerExecution', true),
    v('system.enableEagerWorkflowStart', true),
    v('matching.numTaskqueueReadPartitions', tuning.taskQueuePartitions),
    v('matching.numTaskqueueWritePartitions', tuning.taskQueuePartitions),
    // A namespace or search attribute registered at start is seen by every service within 2 s
    // (default 10 s): one cheap namespace read per service every 2 s.
    v('system.namespaceCacheRefreshInterval', '2s'),
    v('limit.maxIDLength', 255),
  ].join('');
}

export async function startRealTemporalServer(opts: RealServerOptions): Promise<RunningRealServer> {
  const tuning: ServerTuning = { ...DEFAULT_SERVER_TUNING, ...opts.tuning };
  await assertPortFree(opts.port, 'HERALD_TEMPORAL_PORT');
  const configDir = path.join(opts.dataDir, 'config');
  await fs.mkdir(configDir, { recursive: true, mode: 0o700 });
  const metricsPort = await freePort();
  const ports = {
    httpPort: await freePort(),
    historyPort: await freePort(),
    matchingPort: await freePort(),
    workerPort: await freePort(),
    membership: [await lowFreePort(), await lowFreePort(), await lowFreePort(), await lowFreePort()] as [number, number, number, number],
  };
  const dynamicConfigFile = path.join(configDir, 'dynamicconfig.yaml');
  await fs.writeFile(dynamicConfigFile, dynamicConfigYaml(tuning), { mode: 0o600 });
  await fs.writeFile(
    path.join(configDir, 'herald.yaml'),
    serverConfigYaml({ port: opts.port, ports, metricsPort, postgres: opts.postgres, tuning, dynamicConfigFile }),
    { mode: 0o600 },
  );
  const proc = startProcess('temporal-server', opts.serverBin, ['--root', opts.dataDir, '--config', 'config', '--env', 'herald', '--allow-no-auth', 'start']);
  const address = `127.0.0.1:${opts.port}`;
  await waitUntilReady(proc, () => frontendAnswers(address), 120_000)
    .then(() => prepareNamespace(address, opts.namespace, opts.historyRetentionSeconds))
    .catch(async (err) => {
      await proc.stop();
      throw err;
    });
  return { address, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, process: proc };
}

/**
 * A free port below 32768: the SQL schema keeps membership ports in a smallint column, and the
 * kernel's ephemeral ports (freePort) are mostly above it. Random in 20000-32767, checked free.
 */
async function lowFreePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 12768);
    if (await portFree(port)) return port;
  }
  throw new Error('no free port between 20000 and 32767 for the Temporal server\'s membership');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function frontendAnswers(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.getSystemInfo({});
    return true;
  } finally {
    await connection.close();
  }
}

/**
 * What a production install does once, done at every start (each step is skipped when already
 * done): the namespace with Herald's retention, then Herald's search attributes. Resolves once a
 * visibility query naming every attribute is accepted, so the first workflow that sets them
 * finds them.
 */
export async function prepareNamespace(address: string, namespace: string, retentionSeconds = 30 * 86400, timeoutMs = 60_000): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    const ws = connection.workflowService;
    const retention = msToTs(retentionSeconds * 1000);
    const described = await ws.describeNamespace({ namespace }).catch((err: { code?: number }) => {
      if (err.code === 5 /* NOT_FOUND */) return null;
      throw err;
    });
    if (!described) {
      await ws.registerNamespace({ namespace, workflowExecutionRetentionPeriod: retention }).catch((err: { code?: number }) => {
        if (err.code !== 6 /* ALREADY_EXISTS */) throw err;
      });
    } else if (Number(described.config?.workflowExecutionRetentionTtl?.seconds ?? 0) !== retentionSeconds) {
      await ws.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl: retention } });
    }
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        const existing = await connection.operatorService.listSearchAttributes({ namespace });
        const missing = SERVER_SEARCH_ATTRIBUTES.filter((n) => !(n in (existing.customAttributes ?? {})));
        if (missing.length > 0) {
          await connection.operatorService.addSearchAttributes({
            namespace,
            searchAttributes: Object.fromEntries(missing.map((n) => [n, 2 /* INDEXED_VALUE_TYPE_KEYWORD */])),
          });
        }
        // Accepted only once the frontend's namespace cache knows the namespace and every attribute.
        await ws.countWorkflowExecutions({ namespace, query: SERVER_SEARCH_ATTRIBUTES.map((n) => `${n} = 'herald-probe'`).join(' AND ') });
        return;
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    throw new Error(`the Temporal server did not accept namespace ${namespace} with Herald's search attributes within ${timeoutMs} ms: ${(lastError as Error)?.message}`);
  } finally {
    await connection.close();
  }
}
