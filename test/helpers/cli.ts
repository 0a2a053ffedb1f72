/**
 * The `herald` CLI as an operator runs it, for tests: bin/herald.js in its own process, configured
 * only by the same environment variables as the server (pointed at a test Herald's stack).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { TestHerald } from './herald';

export const ROOT = path.resolve(__dirname, '..', '..');
export const HERALD_BIN = path.join(ROOT, 'bin', 'herald.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment a CLI process gets: the test Herald's addresses, nothing else of ours. */
export function cliEnv(h: Pick<TestHerald, 'config'>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: h.config.temporal.address,
    TEMPORAL_NAMESPACE: h.config.temporal.namespace,
    HERALD_TASK_QUEUE: h.config.temporal.taskQueue,
    MONGODB_URI: h.config.mongodbUri,
  };
}

/** Runs `herald <args>` to its end (at most a minute) and returns its exit code and output. */
export function runCli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [HERALD_BIN, ...args], { cwd: ROOT, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
