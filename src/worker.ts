/**
 * The worker role: runs notification workflows and their activities. `npm run worker` runs it
 * alone against external services; `npm start` runs it beside the API.
 */
import { existsSync } from 'node:fs';
import { DefaultLogger, NativeConnection, Worker, Runtime, makeTelemetryFilterString, type WorkerOptions } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { Agent } from 'undici';
import { createActivities } from '../activities';
import { createEndpointHealth } from './flow-control/endpoint-health';
import { healthEvent } from './flow-control/health-events';
import { emitFromActivity } from '../activities/operational-events';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { Models } from './models';
import type { SecretBox } from './crypto/secrets';
import { createGuardedConnector } from './delivery/destination';
import { appDeps, USER_AGENT, withEagerStart, type Connections, type Secrets } from './runtime';
import type { AppDeps } from './app';
import { WORKFLOW_BUNDLE_PATH } from './paths';
import { createConfigCache, type ConfigCache } from './config-cache';
import { createNotificationHandoff, type NotificationHandoff } from './delivery/handoff';
import { ensurePurgeSchedule } from './purge-schedule';
import { existingRollups } from './stats/rollups';

export interface WorkerDeps {
  config: Readonly<Config>;
  temporalAddress: string;
  models: Models;
  secretBox: SecretBox;
  logger: Logger;
  metrics?: Metrics;
  /** A prebuilt workflow bundle (npm run build, or the test setup); otherwise bundled at start. */
  workflowBundlePath?: string;
  /** Shared with the API in one process (npm start); otherwise the worker makes its own. */
  configCache?: ConfigCache;
  /** Shared with the API in one process: the notifications its fan-out stored, for first attempts. */
  handoff?: NotificationHandoff;
  /** Overrides for tests (e.g. fewer concurrent tasks). */
  options?: Partial<WorkerOptions>;
}

export interface RunningWorker {
  worker: Worker;
  /** The worker's connection: a Client on it can start workflows eagerly on this worker. */
  connection: NativeConnection;
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export const DEFAULT_BUNDLE_PATH = WORKFLOW_BUNDLE_PATH;

export function createDeliveryAgent(config: Pick<Config, 'allowPrivateDestinations' | 'httpsOnly'>): Agent {
  // One shared Agent per worker: keep-alive pools per origin, every connection checked at connect
  // time against the destination rules (so DNS rebinding cannot reach a private address).
  return new Agent({
    connect: createGuardedConnector({ allowPrivate: config.allowPrivateDestinations, httpsOnly: config.httpsOnly, connectTimeoutMs: 10_000 }),
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 120_000,
    connections: 64,
  });
}

let runtimeInstalled = false;

export async function startWorker(deps: WorkerDeps): Promise<RunningWorker> {
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    try {
      // The SDK's own logs at WARN: attempt failures are recorded in MongoDB and shown by the API.
      Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } } });
    } catch {
      // Already installed in this process (tests create several workers).
    }
  }
  const connection = await NativeConnection.connect({ address: deps.temporalAddress });
  const dispatcher = createDeliveryAgent(deps.config);
  // Compiled code (npm run build) uses the prebuilt bundle; from sources (tsx) bundle at start, so
  // a stale bundle can never run newer activities against older workflow code.
  const compiled = __filename.endsWith('.js');
  const bundlePath = deps.workflowBundlePath ?? (compiled && existsSync(DEFAULT_BUNDLE_PATH) ? DEFAULT_BUNDLE_PATH : undefined);
  const configCache = deps.configCache ?? createConfigCache(deps.models);
  const emitDeps = { models: deps.models, configCache, logger: deps.logger, userAgent: USER_AGENT };
  const worker = await Worker.create({
    connection,
    namespace: deps.config.temporal.namespace,
    taskQueue: deps.config.temporal.taskQueue,
    activities: createActivities({
      models: deps.models,
      dispatcher,
      secretBox: deps.secretBox,
      logger: deps.logger,
      metrics: deps.metrics,
      userAgent: USER_AGENT,
      configCache,
      resendWindowSeconds: deps.config.resendWindowSeconds,
      retentionSeconds: deps.config.retentionSeconds,
      handoff: deps.handoff,
      health: createEndpointHealth({
        models: deps.models,
        logger: deps.logger,
        defaults: deps.config.circuit,
        // Decided inside an attempt activity: its context starts the events' notifications.
        onChange: async (change) => {
          deps.metrics?.recordHealthChange(change.type);
          const { type, data, key } = healthEvent(change);
          await emitFromActivity(emitDeps, type, data, { key, occurredAt: change.at });
        },
      }),
    }),
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: require.resolve('../workflows') }),
    // Let in-flight attempts finish on shutdown: an attempt cut off mid-request would be retried anyway,
    // but finishing it avoids a duplicate delivery.
    shutdownGraceTime: '30 seconds',
    // Notifications stay open for the resend window but are idle after their round: keeping every
    // one in the cache grew the heap past 1 GB in the bench and spent the CPU on garbage collection.
    // An evicted workflow is replayed from its short history if a resend signal ever comes.
    maxCachedWorkflows: 250,
    ...deps.options,
  });
  // Retention runs on a Temporal Schedule; a worker that cannot set it up (in 10 s) still delivers.
  const client = new Client({ connection, namespace: deps.config.temporal.namespace });
  await connection.withDeadline(Date.now() + 10_000, () => ensurePurgeSchedule(client, deps.config.temporal.taskQueue)).catch((err) =>
    deps.logger.warn({ err }, 'could not create or update the herald-purge schedule; retention is not enforced until a worker can'),
  );
  const done = worker.run().finally(async () => {
    // The stats counts of the attempts this worker made (src/stats/rollups.ts), written before it stops.
    await existingRollups(deps.models)?.close().catch((err: unknown) => deps.logger.warn({ err }, 'could not write the last delivery rollups'));
    await dispatcher.close().catch(() => {});
    await connection.close().catch(() => {});
  });
  return {
    worker,
    connection,
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

/**
 * `npm start`'s shape: the API and the worker in one process (src/main.ts; the bench runs the
 * same). They share the configuration cache and the notification handoff (src/delivery/handoff.ts:
 * the fan-out's stored notifications go straight to the first attempts), and starts are eager, so
 * a notification's first workflow task runs here without a trip through the task queue.
 */
export async function startApiAndWorker(a: {
  config: Readonly<Config>;
  connections: Connections;
  secrets: Secrets;
  logger: Logger;
  metrics: Metrics;
  temporalAddress: string;
  workflowBundlePath?: string;
}): Promise<{ deps: AppDeps; worker: RunningWorker }> {
  const apiDeps = { ...appDeps(a.config, a.connections, a.secrets, a.logger, a.metrics), handoff: createNotificationHandoff() };
  const worker = await startWorker({
    config: a.config,
    temporalAddress: a.temporalAddress,
    models: a.connections.db.models,
    secretBox: a.secrets.secretBox,
    logger: a.logger,
    metrics: a.metrics,
    workflowBundlePath: a.workflowBundlePath,
    configCache: apiDeps.configCache,
    handoff: apiDeps.handoff,
  });
  return { deps: { ...apiDeps, temporal: withEagerStart(apiDeps.temporal, worker.connection) }, worker };
}

/**
 * The worker's own /metrics (attempts by outcome and their durations are counted where attempts
 * happen, so a worker-only process must expose them itself). Plain node:http: one route.
 */
export async function serveMetrics(metrics: Metrics, port: number, host = '0.0.0.0'): Promise<{ url: string; close(): Promise<void> }> {
  const http = await import('node:http');
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actual = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${actual}/metrics`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** `npm run worker`: the worker alone, against TEMPORAL_ADDRESS and MONGODB_URI. Run as many as you like. */
async function main(): Promise<void> {
  const { loadConfigOrExit, onShutdown } = await import('./boot');
  const { createLogger } = await import('./logger');
  const { loadSecrets } = await import('./runtime');
  const { connectDatabase } = await import('./db');
  const config = loadConfigOrExit(process.env);
  const logger = createLogger(config.logLevel);
  if (!config.temporal.address || !config.mongodbUri) {
    process.stderr.write('npm run worker needs TEMPORAL_ADDRESS and MONGODB_URI (use `npm start` for the embedded stack)\n');
    process.exit(1);
  }
  const { createMetrics } = await import('./metrics');
  const secrets = loadSecrets(config);
  const db = await connectDatabase(config.mongodbUri);
  const metrics = createMetrics({ defaultMetrics: true });
  metrics.observeNotifications(db.models);
  const running = await startWorker({ config, temporalAddress: config.temporal.address, models: db.models, secretBox: secrets.secretBox, logger, metrics });
  const metricsServer = config.workerMetricsPort === undefined ? null : await serveMetrics(metrics, config.workerMetricsPort);
  logger.info({ taskQueue: config.temporal.taskQueue, metrics: metricsServer?.url }, 'worker running');
  onShutdown(logger, async () => {
    await running.shutdown();
    await metricsServer?.close();
    await db.close();
  });
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`Herald worker failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
