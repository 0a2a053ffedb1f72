/**
 * The one-machine stack: the Temporal dev server and FerretDB, each started only when its
 * address is not configured, each supervised (restarted on the same port and data when it dies,
 * see supervisor.ts). Start-up failing halfway stops whatever already started.
 */
import path from 'node:path';
import type { Config } from '../config';
import { ensureTool } from './tools';
import { startTemporalServer, type TemporalServerOptions } from './temporal-server';
import { startFerretDb, type FerretDbOptions } from './ferretdb';
import { findPostgres, startPostgres, type PostgresOptions } from './postgres';
import { setupSchema, startRealTemporalServer, type RealServerOptions, type ServerTuning } from './temporal-real-server';
import { checkEngineOfDataDir, type TemporalEngine } from './engine';
import { startTemporalUi, type TemporalUiOptions } from './temporal-ui';
import { freePort } from './child-process';
import { secureDataDir } from './data-dir';
import { superviseProcess, type RestartPolicy, type Supervisor, type SupervisorLogger } from './supervisor';
import type { ManagedProcess } from './child-process';

export type ServiceName = 'temporal' | 'ferretdb' | 'postgres' | 'temporal-ui';

export interface EmbeddedStackOptions {
  dataDir: string;
  temporal?: {
    port: number;
    uiPort?: number;
    namespace: string;
    historyRetentionSeconds?: number;
    /** `dev` (default): `temporal server start-dev`; `server`: a real server on PostgreSQL. */
    engine?: TemporalEngine;
    /** `server` only: PostgreSQL's port (0 or unset: a free one, kept for the stack's life). */
    postgresPort?: number;
    tuning?: Partial<ServerTuning>;
  } | null;
  mongo?: { port: number } | null;
  /** Explicit binaries and the cache, as configured (src/config.ts). */
  tools: Config['tools'];
  log?: (line: string) => void;
  /** Deaths and restarts of the services are logged here (with `{ err }`). */
  logger?: SupervisorLogger;
  restartPolicy?: Partial<RestartPolicy>;
  /**
   * A service kept dying (see RestartPolicy): the stack cannot heal itself. `npm start` exits
   * non-zero with the message. Default: log it (the service stays down).
   */
  onFatal?: (err: Error) => void;
}

export interface EmbeddedStack {
  temporalAddress?: string;
  temporalUiUrl?: string | null;
  /** mongodb://host:port without a database name. */
  mongoUriBase?: string;
  /** Prometheus endpoints of the services it started (the bench reads them). */
  temporalMetricsUrl?: string;
  ferretdbDebugUrl?: string;
  /** Which Temporal engine runs (when the stack runs one). */
  engine?: TemporalEngine;
  /** The child processes running now, for CPU and memory accounting by their pid. */
  readonly processes: ReadonlyArray<Pick<ManagedProcess, 'name' | 'child'>>;
  /** The process running each service now (a new one after a restart). */
  process(name: ServiceName): ManagedProcess | undefined;
  /** How many times each service was restarted. */
  restarts(name: ServiceName): number;
  stop(): Promise<void>;
}

export async function startEmbeddedStack(opts: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const supervisors = new Map<ServiceName, Supervisor>();
  const started: ManagedProcess[] = [];
  const stop = async () => {
    const all = [...supervisors.values()];
    supervisors.clear();
    await Promise.all([...all.map((s) => s.stop()), ...started.splice(0).map((p) => p.stop())]);
  };
  const stack: EmbeddedStack = {
    stop,
    get processes() {
      return [...supervisors.values()].map((s) => s.current()).filter((p): p is ManagedProcess => p !== undefined);
    },
    process: (name) => supervisors.get(name)?.current(),
    restarts: (name) => supervisors.get(name)?.restarts() ?? 0,
  };
  try {
    await secureDataDir(opts.dataDir);
    const engine: TemporalEngine = opts.temporal?.engine ?? 'dev';
    if (opts.temporal) await checkEngineOfDataDir(opts.dataDir, engine);
    if (opts.temporal && engine === 'server') return await startWithRealServer(opts, stack, supervisors, started);
    // Resolve (and if needed build) both binaries before starting either service.
    const [temporalBin, ferretdbBin] = await Promise.all([
      opts.temporal ? ensureTool('temporal', { explicitPath: opts.tools.temporalBin, cacheDir: opts.tools.cacheDir, log: opts.log }) : null,
      opts.mongo ? ensureTool('ferretdb', { explicitPath: opts.tools.ferretdbBin, cacheDir: opts.tools.cacheDir, log: opts.log }) : null,
    ]);
    const temporalOpts: TemporalServerOptions | null =
      opts.temporal && temporalBin ? { bin: temporalBin, dataDir: path.join(opts.dataDir, 'temporal'), ...opts.temporal } : null;
    const ferretOpts: FerretDbOptions | null = opts.mongo && ferretdbBin ? { bin: ferretdbBin, dataDir: opts.dataDir, port: opts.mongo.port } : null;
    // allSettled, not all: when one fails, wait for the other to finish starting so it is stopped too.
    const [temporalResult, mongoResult] = await Promise.allSettled([
      temporalOpts ? startTemporalServer(temporalOpts) : null,
      ferretOpts ? startFerretDb(ferretOpts) : null,
    ]);
    for (const r of [temporalResult, mongoResult]) if (r.status === 'fulfilled' && r.value) started.push(r.value.process);
    for (const r of [temporalResult, mongoResult]) if (r.status === 'rejected') throw r.reason;
    const temporal = temporalResult.status === 'fulfilled' ? temporalResult.value : null;
    const mongo = mongoResult.status === 'fulfilled' ? mongoResult.value : null;

    // From here on each service is its supervisor's: it restarts and stops it.
    started.length = 0;
    const supervise = supervisorFactory(opts, supervisors);
    if (temporal && temporalOpts) supervise('temporal', temporal.process, async () => (await startTemporalServer(temporalOpts)).process);
    if (mongo && ferretOpts) supervise('ferretdb', mongo.process, async () => (await startFerretDb(ferretOpts)).process);

    if (opts.temporal) stack.engine = 'dev';
    stack.temporalAddress = temporal?.address;
    stack.temporalUiUrl = temporal?.uiUrl;
    stack.mongoUriBase = mongo?.uriBase;
    stack.temporalMetricsUrl = temporal?.metricsUrl;
    stack.ferretdbDebugUrl = mongo?.debugUrl;
    return stack;
  } catch (err) {
    await stop();
    throw err;
  }
}

function supervisorFactory(opts: EmbeddedStackOptions, supervisors: Map<ServiceName, Supervisor>) {
  const onGiveUp = opts.onFatal ?? ((err: Error) => opts.logger?.error({ err }, 'an embedded service is down for good'));
  return (name: ServiceName, initial: ManagedProcess, restart: () => Promise<ManagedProcess>) =>
    supervisors.set(name, superviseProcess({ name, initial, restart, policy: opts.restartPolicy, logger: opts.logger, onGiveUp }));
}

/**
 * The `server` engine: PostgreSQL first (FerretDB beside it), then the schema, then the Temporal
 * server, which creates the namespace and search attributes (temporal-real-server.ts). Each is
 * supervised on its own: a PostgreSQL restart keeps its port, and the Temporal server reconnects.
 */
async function startWithRealServer(
  opts: EmbeddedStackOptions,
  stack: EmbeddedStack,
  supervisors: Map<ServiceName, Supervisor>,
  started: ManagedProcess[],
): Promise<EmbeddedStack> {
  const t = opts.temporal!;
  const toolOpts = { cacheDir: opts.tools.cacheDir, log: opts.log };
  const pgBinDir = await findPostgres(opts.tools.postgresBinDir);
  // One at a time: the second build reuses the first one's Go build cache.
  const serverBin = await ensureTool('temporal-server', { ...toolOpts, explicitPath: opts.tools.temporalServerBin });
  const sqlToolBin = await ensureTool('temporal-sql-tool', { ...toolOpts, explicitPath: opts.tools.temporalSqlToolBin });
  const ferretdbBin = opts.mongo ? await ensureTool('ferretdb', { ...toolOpts, explicitPath: opts.tools.ferretdbBin }) : null;

  const serverDir = path.join(opts.dataDir, 'temporal-server');
  const pgOpts: PostgresOptions = {
    binDir: pgBinDir,
    dataDir: path.join(serverDir, 'postgres'),
    port: t.postgresPort || (await freePort()),
    synchronousCommit: t.tuning?.synchronousCommit,
  };
  const ferretOpts: FerretDbOptions | null = opts.mongo && ferretdbBin ? { bin: ferretdbBin, dataDir: opts.dataDir, port: opts.mongo.port } : null;
  const [pgResult, mongoResult] = await Promise.allSettled([startPostgres(pgOpts), ferretOpts ? startFerretDb(ferretOpts) : null]);
  for (const r of [pgResult, mongoResult]) if (r.status === 'fulfilled' && r.value) started.push(r.value.process);
  for (const r of [pgResult, mongoResult]) if (r.status === 'rejected') throw r.reason;
  const pg = (pgResult as PromiseFulfilledResult<Awaited<ReturnType<typeof startPostgres>>>).value;
  const mongo = mongoResult.status === 'fulfilled' ? mongoResult.value : null;

  await setupSchema({ sqlToolBin, clusterDir: pgOpts.dataDir, postgres: pg });
  const serverOpts: RealServerOptions = {
    serverBin,
    sqlToolBin,
    dataDir: serverDir,
    port: t.port,
    namespace: t.namespace,
    historyRetentionSeconds: t.historyRetentionSeconds,
    postgres: pg,
    tuning: t.tuning,
  };
  const temporal = await startRealTemporalServer(serverOpts);
  started.push(temporal.process);

  started.length = 0;
  const supervise = supervisorFactory(opts, supervisors);
  supervise('postgres', pg.process, async () => (await startPostgres(pgOpts)).process);
  supervise('temporal', temporal.process, async () => (await startRealTemporalServer(serverOpts)).process);
  if (mongo && ferretOpts) supervise('ferretdb', mongo.process, async () => (await startFerretDb(ferretOpts)).process);

  // The Web UI is a convenience: when it cannot be built or started, Herald runs without it.
  let uiUrl: string | null = null;
  if (t.uiPort) {
    try {
      const uiBin = await ensureTool('temporal-ui-server', { ...toolOpts, explicitPath: opts.tools.temporalUiServerBin });
      const uiOpts: TemporalUiOptions = { bin: uiBin, dataDir: path.join(serverDir, 'ui'), port: t.uiPort, temporalAddress: temporal.address, namespace: t.namespace };
      const ui = await startTemporalUi(uiOpts);
      supervise('temporal-ui', ui.process, async () => (await startTemporalUi(uiOpts)).process);
      uiUrl = ui.url;
    } catch (err) {
      opts.log?.(`The Temporal Web UI is not available: ${(err as Error).message}`);
    }
  }

  stack.engine = 'server';
  stack.temporalAddress = temporal.address;
  stack.temporalUiUrl = uiUrl;
  stack.mongoUriBase = mongo?.uriBase;
  stack.temporalMetricsUrl = temporal.metricsUrl;
  stack.ferretdbDebugUrl = mongo?.debugUrl;
  return stack;
}
