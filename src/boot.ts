/**
 * Start-up and shutdown pieces shared by the entry points (main, api, worker): config or a clear
 * exit, the HTTP server with graceful close, and one shutdown sequence for SIGINT/SIGTERM.
 */
import http from 'node:http';
import type { Express } from 'express';
import { ConfigError, loadConfig, type Config } from './config';
import type { Logger } from './logger';

export function loadConfigOrExit(env: NodeJS.ProcessEnv): Readonly<Config> {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export interface RunningServer {
  url: string;
  server: http.Server;
  /** Stops accepting connections and waits for in-flight requests to finish. */
  close(): Promise<void>;
}

export function listen(app: Express, port: number, host = '0.0.0.0'): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(app);
    server.keepAliveTimeout = 5000;
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${addr.port}`,
        server,
        close: () =>
          new Promise<void>((res) => {
            server.close(() => res());
            // Idle keep-alive sockets would hold close() open; in-flight requests still finish.
            server.closeIdleConnections();
          }),
      });
    });
  });
}

/** Runs `stop` once on the first SIGINT/SIGTERM; a second signal exits at once. */
export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
