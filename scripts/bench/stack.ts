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
import type { TemporalEngine } from '../../src/embedded/engine';
import type { ServerTuning } from '../../src/embedded/temporal-real-server';

/** Parses `--engine` and the server levers of the bench scripts. */
export function engineOptions(values: { engine?: string; shards?: string; 'max-conns'?: string; partitions?: string; 'pg-sync'?: string }): {
  engine: TemporalEngine;
  tuning: Partial<ServerTuning>;
} {
  const engine = values.engine ?? 'dev';
  if (engine !== 'dev' && engine !== 'server') throw new Error(`--engine must be dev or server, got ${engine}`);
  const tuning: Partial<ServerTuning> = {};
  const int = (v: string | undefined, flag: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a whole number of at least 1, got ${v}`);
    return n;
  };
  const shards = int(values.shards, '--shards');
  const maxConns = int(values['max-conns'], '--max-conns');
  const partitions = int(values.partitions, '--partitions');
  if (shards) tuning.numHistoryShards = shards;
  if (maxConns) tuning.maxConns = maxConns;
  if (partitions) tuning.taskQueuePartitions = partitions;
  const sync = values['pg-sync'];
  if (sync !== undefined && sync !== 'on' && sync !== 'off') throw new Error(`--pg-sync must be on or off, got ${sync}`);
  if (sync) tuning.synchronousCommit = sync;
  return { engine, tuning };
}

/** The bench scripts' options for the engine (parseArgs shape). */
export const ENGINE_OPTIONS = {
  engine: { type: 'string', default: 'dev' },
  shards: { type: 'string' },
  'max-conns': { type: 'string' },
  partitions: { type: 'string' },
  'pg-sync': { type: 'string' },
} as const;

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

export async function startBenchStack(opts: {
  name: string;
  temporal: boolean;
  mongo: boolean;
  /** `--engine dev|server` of the bench scripts. */
  engine?: TemporalEngine;
  /** `--shards`, `--max-conns`, `--partitions`: the server engine's levers (README "Production engine"). */
  tuning?: Partial<ServerTuning>;
}): Promise<BenchStack> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `${opts.name}-`));
  const stack = await startEmbeddedStack({
    dataDir,
    temporal: opts.temporal ? { port: await freePort(), namespace: 'default', engine: opts.engine ?? 'dev', tuning: opts.tuning } : null,
    mongo: opts.mongo ? { port: await freePort() } : null,
    tools: {},
    log: (l) => process.stderr.write(`${l}\n`),
  });
  const procs: TrackedProcess[] = [
    { name: 'node', pid: process.pid },
    ...stack.processes.map((p) => ({ name: p.name, pid: p.child.pid!, tree: p.name === 'postgres' })),
  ];
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
