/**
 * The embedded services a bench script runs against, started on free ports in a temporary data
 * directory, with this process and each service tracked for CPU and memory (proc.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { startEmbeddedStack, type EmbeddedStack } from '../../src/embedded/stack';
import { freePort } from '../../src/embedded/child-process';
import { MemorySampler, type TrackedProcess } from './proc';

export interface BenchStack {
  dataDir: string;
  stack: EmbeddedStack;
  /** This process (`node`) and the services, by name; a bench may add its own. */
  procs: TrackedProcess[];
  /** RSS of `procs`, sampled every 100 ms from the start. */
  memory: MemorySampler;
  /** Stops the sampler and the services, and removes the data directory. */
  stop(): Promise<void>;
}

export async function startBenchStack(opts: { name: string; temporal: boolean; mongo: boolean }): Promise<BenchStack> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `${opts.name}-`));
  const stack = await startEmbeddedStack({
    dataDir,
    temporal: opts.temporal ? { port: await freePort(), namespace: 'default' } : null,
    mongo: opts.mongo ? { port: await freePort() } : null,
    tools: {},
    log: (l) => process.stderr.write(`${l}\n`),
  });
  const procs: TrackedProcess[] = [{ name: 'node', pid: process.pid }, ...stack.processes.map((p) => ({ name: p.name, pid: p.child.pid! }))];
  const memory = new MemorySampler(procs, 100);
  memory.start();
  return {
    dataDir,
    stack,
    procs,
    memory,
    async stop() {
      memory.stop();
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The SDK's warnings (e.g. "workflow task duration exceeded 5 seconds" under load) go to stderr,
 * keeping stdout to the figures; a worker created afterwards finds this runtime installed.
 */
export function installQuietTemporalRuntime(): void {
  Runtime.install({
    logger: new DefaultLogger('WARN', (e) => process.stderr.write(`${e.level} ${e.message}\n`)),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });
}
