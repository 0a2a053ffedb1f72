/** `npm run api`: the HTTP API alone, against TEMPORAL_ADDRESS and MONGODB_URI. Run as many as you like. */
import { loadConfigOrExit, listen, onShutdown } from './boot';
import { createLogger } from './logger';
import { appDeps, loadSecrets, openConnections } from './runtime';
import { createMetrics } from './metrics';
import { createApp } from './app';
import { startDispatchSweeper, sweepTiming } from './dispatch-sweeper';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = createLogger(config.logLevel);
  if (!config.temporal.address || !config.mongodbUri) {
    process.stderr.write('npm run api needs TEMPORAL_ADDRESS and MONGODB_URI (use `npm start` for the embedded stack)\n');
    process.exit(1);
  }
  const secrets = loadSecrets(config);
  const connections = await openConnections(config, { temporalAddress: config.temporal.address, mongodbUri: config.mongodbUri }, logger);
  const metrics = createMetrics({ defaultMetrics: true });
  metrics.observeNotifications(connections.db.models);
  const deps = appDeps(config, connections, secrets, logger, metrics);
  const sweeper = startDispatchSweeper(deps, sweepTiming(config));
  const server = await listen(createApp(deps), config.port);
  logger.info({ url: server.url }, 'API listening');
  onShutdown(logger, async () => {
    sweeper.stop();
    await server.close();
    await connections.close();
  });
}

main().catch((err) => {
  process.stderr.write(`Herald API failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
