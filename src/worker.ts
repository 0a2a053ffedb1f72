/**
 * The worker role: runs notification workflows and their activities. `npm run worker` runs it
 * alone against external services; `npm start` runs it beside the API.
 */
import { existsSync } from 'node:fs';
import { DefaultLogger, NativeConnection, Worker, Runtime, makeTelemetryFilterString, type WorkerOptions } from '@temporalio/worker';
import { Agent } from 'undici';
import { createActivities } from '../activities';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { Models } from './models';
import type { SecretBox } from './crypto/secrets';
import { createGuardedConnector } from './delivery/destination';
import { USER_AGENT } from './runtime';
import { WORKFLOW_BUNDLE_PATH } from './paths';

export interface WorkerDeps {
  config: Readonly<Config>;
  temporalAddress: string;
  models: Models;
  secretBox: SecretBox;
  logger: Logger;
  metrics?: Metrics;
  /** A prebuilt workflow bundle (npm run build, or the test setup); otherwise bundled at start. */
  workflowBundlePath?: string;
  /** Overrides for tests (e.g. fewer concurrent tasks). */
  options?: Partial<WorkerOptions>;
}

export interface RunningWorker {
  worker: Worker;
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
    }),
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: require.resolve('../workflows') }),
    // Let in-flight attempts finish on shutdown: an attempt cut off mid-request would be retried anyway,
    // but finishing it avoids a duplicate delivery.
    shutdownGraceTime: '30 seconds',
    ...deps.options,
  });
  const done = worker.run().finally(async () => {
    await dispatcher.close().catch(() => {});
    await connection.close().catch(() => {});
  });
  return {
    worker,
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
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
  const secrets = loadSecrets(config);
  const db = await connectDatabase(config.mongodbUri);
  const running = await startWorker({ config, temporalAddress: config.temporal.address, models: db.models, secretBox: secrets.secretBox, logger });
  logger.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
  onShutdown(logger, async () => {
    await running.shutdown();
    await db.close();
  });
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`Herald worker failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
