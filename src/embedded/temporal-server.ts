/** The Temporal dev server (Web UI included), with its SQLite state under the data dir. */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { SEARCH_ATTRIBUTE_NAMES } from '../../workflows/shared';
import { Connection } from '@temporalio/client';
import { setHistoryRetention } from '../temporal';
import { assertPortFree, freePort, startProcess, waitUntilReady, type ManagedProcess } from './child-process';

export interface TemporalServerOptions {
  bin: string;
  dataDir: string;
  port: number;
  /** 0 or undefined: headless (no Web UI), as tests want. */
  uiPort?: number;
  namespace: string;
  /**
   * How long the namespace keeps closed workflow histories (seconds). The dev server creates its
   * namespaces with one day; Herald sets it from HERALD_RETENTION (see namespaceRetentionSeconds).
   */
  historyRetentionSeconds?: number;
}

export interface RunningTemporal {
  address: string;
  uiUrl: string | null;
  /** The server's Prometheus endpoint (the bench scrapes it to count persistence operations). */
  metricsUrl: string;
  process: ManagedProcess;
}

export async function startTemporalServer(opts: TemporalServerOptions): Promise<RunningTemporal> {
  await fs.mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  await assertPortFree(opts.port, 'HERALD_TEMPORAL_PORT');
  const metricsPort = await freePort();
  if (opts.uiPort) await assertPortFree(opts.uiPort, 'HERALD_TEMPORAL_UI_PORT');
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(opts.port),
    '--db-filename', path.join(opts.dataDir, 'temporal.db'),
    '--namespace', opts.namespace,
    '--log-level', 'error',
    // WAL with normal sync: the dev server's SQLite otherwise syncs every transaction, which made
    // it the bottleneck of the embedded stack. Activities dispatched eagerly in the workflow task
    // response save a matching round trip per activity.
    '--sqlite-pragma', 'journal_mode=wal',
    '--sqlite-pragma', 'synchronous=normal',
    '--dynamic-config-value', 'system.enableActivityEagerExecution=true',
    // Eager workflow start: a start from a process that also runs a worker gets the first workflow
    // task back in the start response (see withEagerStart in src/runtime.ts).
    '--dynamic-config-value', 'system.enableEagerWorkflowStart=true',
    // The dev server forces a search-attribute cache refresh on every read (so attributes added at
    // run time show at once). That read is two SQLite queries (GetCurrentClusterMetadata, then
    // GetNamespace) under a process-wide lock, on every start and every upsert: 14 of the 22
    // persistence calls per notification measured in session 4. Herald's attributes are written
    // into the namespace by `--search-attribute` below when the data dir is created, before any
    // cache loads, so the normal cache is right. On a data dir from an older Herald, an attribute
    // added since is registered at start (ensureSearchAttributes, src/temporal.ts); the services'
    // caches see it within their one-minute refresh, and a workflow task that sets it before then
    // fails and is retried by Temporal: a delay, never a loss.
    '--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false',
    // Fair dispatch across accounts: tasks waiting in a task queue are handed out by their fairness
    // key (the account, set at start in src/temporal.ts), not first come, first served.
    '--dynamic-config-value', 'matching.enableFairness=true',
    // The HTTP API and metrics ports default to random ones; pin them to free ports we chose so
    // two stacks (npm start beside npm test) never race for the same one.
    '--http-port', String(await freePort()),
    '--metrics-port', String(metricsPort),
    ...SEARCH_ATTRIBUTE_NAMES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
  ];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort), '--ui-ip', '127.0.0.1');
  else args.push('--headless');
  const proc = startProcess('temporal', opts.bin, args);
  const address = `127.0.0.1:${opts.port}`;
  await waitUntilReady(proc, () => temporalAnswers(address, opts), 120_000).catch(async (err) => {
    await proc.stop();
    throw err;
  });
  return {
    address,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : null,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    process: proc,
  };
}

/**
 * The frontend answers a real gRPC call (a bound port alone is not enough), and the namespace has
 * its history retention (set on every start: a restart on the same data keeps it, a changed
 * HERALD_RETENTION updates it).
 */
async function temporalAnswers(address: string, opts: Pick<TemporalServerOptions, 'namespace' | 'historyRetentionSeconds'>): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.getSystemInfo({});
    if (opts.historyRetentionSeconds) await setHistoryRetention(connection, opts.namespace, opts.historyRetentionSeconds);
    return true;
  } finally {
    await connection.close();
  }
}
