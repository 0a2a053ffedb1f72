/**
 * `npm start`: the whole product on one machine. Embedded Temporal and FerretDB where their
 * addresses are unset (restarted when they die; Herald exits 1 if one keeps dying), then the
 * worker and the API. Ctrl-C stops everything, children included.
 */
import path from 'node:path';
import { loadConfigOrExit, listen, onShutdown } from './boot';
import { createLogger } from './logger';
import { startEmbeddedStack, type EmbeddedStack } from './embedded/stack';
import { loadSecrets, openConnections, type Connections } from './runtime';
import { createMetrics } from './metrics';
import { createApp } from './app';
import { startDispatchSweeper, sweepTiming } from './dispatch-sweeper';
import { startApiAndWorker, type RunningWorker } from './worker';
import { namespaceRetentionSeconds } from './retention';
import type { RunningServer } from './boot';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = createLogger(config.logLevel);
  const cleanup: Array<() => Promise<void>> = [];
  let shuttingDown = false;
  const stopAll = async () => {
    shuttingDown = true;
    for (const fn of cleanup.splice(0).reverse()) await fn().catch((err) => logger.error({ err }, 'shutdown step failed'));
  };
  onShutdown(logger, stopAll);
  // A connection cut off by a requested shutdown may reject a pending call nobody awaits any more:
  // log it (with its stack) instead of letting Node turn a clean stop into exit code 1.
  process.on('unhandledRejection', (err) => {
    if (!shuttingDown) throw err;
    logger.warn({ err }, 'a call was cut off by the shutdown');
  });
  // The same for a throw from a timer: the Temporal client retries a call to a Temporal server
  // that is down on a timer, and that retry throws "Channel has been shut down" once the
  // connection is closed. Outside a shutdown an uncaught error still ends Herald with exit 1.
  process.on('uncaughtException', (err) => {
    if (shuttingDown) {
      logger.warn({ err }, 'a call was cut off by the shutdown');
      return;
    }
    logger.fatal({ err }, 'uncaught error: Herald is stopping');
    process.exitCode = 1;
    void stopAll().finally(() => process.exit(1));
  });

  try {
    let stack: EmbeddedStack | undefined;
    if (!config.temporal.address || !config.mongodbUri) {
      const engineName = config.temporalEngine.engine === 'server' ? 'Temporal server on PostgreSQL' : 'Temporal dev server';
      process.stdout.write(`Starting the embedded stack (${config.temporal.address ? 'FerretDB' : `${engineName} and FerretDB`})...\n`);
      stack = await startEmbeddedStack({
        dataDir: config.dataDir,
        temporal: config.temporal.address
          ? null
          : {
              port: config.embedded.temporalPort,
              uiPort: config.embedded.temporalUiPort,
              namespace: config.temporal.namespace,
              historyRetentionSeconds: namespaceRetentionSeconds(config),
              engine: config.temporalEngine.engine,
              postgresPort: config.temporalEngine.postgresPort,
              tuning: { synchronousCommit: config.temporalEngine.postgresSynchronousCommit },
            },
        mongo: config.mongodbUri ? null : { port: config.embedded.mongoPort },
        tools: config.tools,
        log: (line) => process.stdout.write(`${line}\n`),
        logger,
        // A service that keeps dying cannot be healed from here: stop everything and exit
        // non-zero, so whatever runs Herald (systemd, Docker, a shell loop) sees it.
        onFatal: (err) => {
          process.stderr.write(
            `Herald is stopping: ${err.message}\nCheck the data directory ${config.dataDir}, free disk space and memory, then start Herald again.\n`,
          );
          void stopAll().finally(() => process.exit(1));
        },
      });
      cleanup.push(() => stack!.stop());
    }
    const addresses = {
      temporalAddress: config.temporal.address ?? stack!.temporalAddress!,
      mongodbUri: config.mongodbUri ?? `${stack!.mongoUriBase}/herald`,
    };

    const secrets = loadSecrets(config);
    const connections: Connections = await openConnections(config, addresses, logger);
    cleanup.push(() => connections.close());
    const metrics = createMetrics({ defaultMetrics: true });
    metrics.observeNotifications(connections.db.models);

    const started = await startApiAndWorker({ config, connections, secrets, logger, metrics, temporalAddress: addresses.temporalAddress });
    const worker: RunningWorker = started.worker;
    cleanup.push(() => worker.shutdown());

    const uiUrl = config.temporalUiUrl ?? stack?.temporalUiUrl ?? null;
    const deps = { ...started.deps, temporalUiUrl: uiUrl };
    const sweeper = startDispatchSweeper(deps, sweepTiming(config));
    cleanup.push(async () => sweeper.stop());
    const server: RunningServer = await listen(createApp(deps), config.port);
    cleanup.push(() => server.close());

    process.stdout.write(
      [
        '',
        `Herald is running.`,
        `  API:              ${server.url}  (try: curl ${server.url}/readyz)`,
        `  Console:          ${server.url}/console/  (sign in with the API key)`,
        `  OpenAPI:          ${server.url}/openapi.json`,
        `  API key:          ${secrets.apiKeys[0]}${secrets.generatedApiKey ? `  (generated, saved in ${path.join(config.dataDir, 'api-key')})` : ''}`,
        `  Temporal Web UI:  ${uiUrl ?? (stack?.engine === 'server' ? `(not running; see the lines above and README "Production engine")` : `(external Temporal at ${addresses.temporalAddress})`)}`,
        `  Data:             ${config.dataDir}`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    worker.done.catch(async (err) => {
      // During a requested shutdown the worker may end with an error (its polls cut off): that is
      // not a failure of Herald, and exiting 1 here would race the clean exit.
      if (shuttingDown) return;
      logger.error({ err }, 'worker stopped unexpectedly');
      await stopAll();
      process.exit(1);
    });
  } catch (err) {
    process.stderr.write(`Herald failed to start: ${(err as Error).message}\n`);
    await stopAll();
    process.exit(1);
  }
}

void main();
