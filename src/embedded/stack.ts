/**
 * The one-machine stack: the Temporal dev server and FerretDB, each started only when its
 * address is not configured. Start-up failing halfway stops whatever already started.
 */
import path from 'node:path';
import { ensureTool } from './tools';
import { startTemporalServer } from './temporal-server';
import { startFerretDb } from './ferretdb';
import type { ManagedProcess } from './child-process';

export interface EmbeddedStackOptions {
  dataDir: string;
  temporal?: { port: number; uiPort?: number; namespace: string } | null;
  mongo?: { port: number } | null;
  tools: { temporalBin?: string; ferretdbBin?: string; cacheDir?: string };
  log?: (line: string) => void;
}

export interface EmbeddedStack {
  temporalAddress?: string;
  temporalUiUrl?: string | null;
  /** mongodb://host:port without a database name. */
  mongoUriBase?: string;
  /** Prometheus endpoints of the services it started (the bench reads them). */
  temporalMetricsUrl?: string;
  ferretdbDebugUrl?: string;
  /** The child processes it started, for CPU and memory accounting by their pid. */
  processes: ReadonlyArray<Pick<ManagedProcess, 'name' | 'child'>>;
  stop(): Promise<void>;
}

export async function startEmbeddedStack(opts: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const started: ManagedProcess[] = [];
  const stop = async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  };
  const stack: EmbeddedStack = { stop, processes: started };
  try {
    // Resolve (and if needed build) both binaries before starting either service.
    const [temporalBin, ferretdbBin] = await Promise.all([
      opts.temporal ? ensureTool('temporal', { explicitPath: opts.tools.temporalBin, cacheDir: opts.tools.cacheDir, log: opts.log }) : null,
      opts.mongo ? ensureTool('ferretdb', { explicitPath: opts.tools.ferretdbBin, cacheDir: opts.tools.cacheDir, log: opts.log }) : null,
    ]);
    // allSettled, not all: when one fails, wait for the other to finish starting so it is stopped too.
    const [temporalResult, mongoResult] = await Promise.allSettled([
      opts.temporal && temporalBin
        ? startTemporalServer({ bin: temporalBin, dataDir: path.join(opts.dataDir, 'temporal'), ...opts.temporal })
        : null,
      opts.mongo && ferretdbBin ? startFerretDb({ bin: ferretdbBin, dataDir: opts.dataDir, port: opts.mongo.port }) : null,
    ]);
    for (const r of [temporalResult, mongoResult]) if (r.status === 'fulfilled' && r.value) started.push(r.value.process);
    for (const r of [temporalResult, mongoResult]) if (r.status === 'rejected') throw r.reason;
    const temporal = temporalResult.status === 'fulfilled' ? temporalResult.value : null;
    const mongo = mongoResult.status === 'fulfilled' ? mongoResult.value : null;
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
