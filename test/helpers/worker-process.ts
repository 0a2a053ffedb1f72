/**
 * A Herald worker in its own process, for crash tests: the same pieces as `npm run worker`
 * (config from the environment, MongoDB, the worker, its /metrics on HERALD_WORKER_METRICS_PORT),
 * with the test run's prebuilt workflow bundle (HERALD_TEST_BUNDLE). Prints one JSON line
 * `{"ready": true, "metrics": url}` once it polls the task queue. Run with `node -r tsx/cjs`.
 */
import { loadConfig } from '../../src/config';
import { connectDatabase } from '../../src/db';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { createSecretBox, parseEncryptionKey } from '../../src/crypto/secrets';
import { serveMetrics, startWorker } from '../../src/worker';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger('warn');
  const db = await connectDatabase(config.mongodbUri!);
  const metrics = createMetrics();
  metrics.observeNotifications(db.models);
  const worker = await startWorker({
    config,
    temporalAddress: config.temporal.address!,
    models: db.models,
    secretBox: createSecretBox(parseEncryptionKey(config.encryptionKey!)),
    logger,
    metrics,
    workflowBundlePath: process.env.HERALD_TEST_BUNDLE,
  });
  const server = config.workerMetricsPort === undefined ? null : await serveMetrics(metrics, config.workerMetricsPort, '127.0.0.1');
  process.stdout.write(`${JSON.stringify({ ready: true, metrics: server?.url ?? null })}\n`);
  const stop = async () => {
    await worker.shutdown();
    await server?.close();
    await db.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  await worker.done;
}

main().catch((err) => {
  process.stderr.write(`worker process failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
