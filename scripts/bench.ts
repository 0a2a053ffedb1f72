/**
 * Throughput, latency and cost of the happy path on the real embedded stack: `npm run bench`
 * (options below; README "Performance"). Starts its own Temporal dev server and FerretDB on free
 * ports (data in a temp dir), one worker and the API in this process, and a receiver on 127.0.0.1
 * answering 200. Phases: warm-up, throughput (C clients as fast as they can), paced (open loop at
 * a fixed rate), single events one at a time, and a baseline (the same bodies POSTed straight to
 * the receiver). Prints one `key: value` line per figure; `--json FILE` writes them nested.
 *
 * CPU is utime+stime from /proc of the three processes (this one, which also runs the load
 * generator and the receiver, the Temporal dev server and FerretDB); memory is their RSS sampled
 * every 100 ms. `--profile` adds counts per notification (Temporal history, MongoDB commands,
 * connections, server metrics); `--cpu-prof-dir DIR` re-runs this under `node --cpu-prof`.
 * `--workers N` runs the scale-out shape instead: the API and N workers as their own processes
 * (scripts/bench/processes.ts), each tracked like the services (and, with `--cpu-prof-dir`,
 * profiled into a subdirectory named after it).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Writable } from 'node:stream';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { loadSecrets, openConnections } from '../src/runtime';
import { startApiAndWorker } from '../src/worker';
import { createLogger } from '../src/logger';
import { createMetrics } from '../src/metrics';
import { createApp } from '../src/app';
import { listen } from '../src/boot';
import { notificationWorkflowId } from '../workflows/shared';
import { Report } from './bench/report';
import { summarize } from './bench/stats';
import { cpuDelta, cpuMsByThread, cpuSnapshot, threadCpuDelta } from './bench/proc';
import { ENGINE_OPTIONS, engineOptions, installQuietTemporalRuntime, startBenchStack } from './bench/stack';
import { startBenchReceiver } from './bench/receiver';
import { closedLoop, latencies, oneAtATime, paced, type Accepted, type PostEvent } from './bench/load';
import { runBaseline } from './bench/baseline';
import { CommandCounter } from './bench/mongo-commands';
import { countEvents, fetchHistories } from './bench/history';
import { diffSamples, groupBy, scrape, totalsByName, type Sample } from './bench/prometheus';
import { startHeraldProcesses } from './bench/processes';
import { runFairness } from './bench/fairness';
import { dataAt, declareVersions, versionOf } from './bench/versions';
import { runStreamBench } from './bench/stream';
import { parseSizes, runHistoryBench } from './bench/history-size';

const OPTIONS = {
  ...ENGINE_OPTIONS,
  events: { type: 'string', default: '2000' },
  webhooks: { type: 'string', default: '2' },
  concurrency: { type: 'string', default: '20' },
  warmup: { type: 'string', default: '20' },
  'paced-rate': { type: 'string' },
  'paced-seconds': { type: 'string', default: '20' },
  single: { type: 'string', default: '100' },
  'single-gap-ms': { type: 'string', default: '50' },
  'timeout-s': { type: 'string', default: '900' },
  json: { type: 'string' },
  profile: { type: 'boolean', default: false },
  'profile-sample': { type: 'string', default: '50' },
  'cpu-prof-dir': { type: 'string' },
  workers: { type: 'string', default: '0' },
  accounts: { type: 'boolean', default: false },
  'a-limit': { type: 'string' },
  'b-gap-ms': { type: 'string', default: '100' },
  /** Versioned event types: N versions in the chain, webhooks pinned to the first (scripts/bench/versions.ts). */
  versions: { type: 'string', default: '0' },
  /** The Streaming API bench instead (scripts/bench/stream.ts): ingest cost, reads, latency. */
  stream: { type: 'boolean', default: false },
  'stream-rate': { type: 'string', default: '100' },
  /** The history bench instead (scripts/bench/history-size.ts): sizes, e.g. 10000,100000,1000000. */
  history: { type: 'string' },
  'history-reps': { type: 'string', default: '20' },
  'history-budget-s': { type: 'string', default: '20' },
  'request-timeout-s': { type: 'string', default: '30' },
  'idle-s': { type: 'string', default: '10' },
  'latency-events': { type: 'string', default: '30' },
  purge: { type: 'boolean', default: false },
  'purge-count': { type: 'string' },
} as const;

const MiB = 2 ** 20;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: OPTIONS });
  if (values['cpu-prof-dir'] && !process.env.HERALD_BENCH_CPU_PROF) return respawnUnderCpuProf(values['cpu-prof-dir']);
  const num = (name: keyof typeof OPTIONS) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${String(values[name])}`);
    return n;
  };
  if (values.history) {
    return runHistoryBench({
      sizes: parseSizes(values.history),
      reps: Math.max(1, num('history-reps')),
      pathBudgetMs: num('history-budget-s') * 1000,
      requestTimeoutMs: num('request-timeout-s') * 1000,
      idleSeconds: Math.max(1, num('idle-s')),
      latencyEvents: Math.max(1, num('latency-events')),
      purge: values.purge,
      purgeCount: values['purge-count'] ? num('purge-count') : null,
      json: values.json,
    });
  }
  if (values.stream) return runStreamBench({ events: num('events'), concurrency: Math.max(1, num('concurrency')), rate: num('stream-rate'), seconds: num('paced-seconds') });
  const events = num('events');
  const webhooks = Math.max(1, num('webhooks'));
  const concurrency = Math.max(1, num('concurrency'));
  const timeoutMs = num('timeout-s') * 1000;
  const profile = values.profile;
  const workers = num('workers');
  const report = new Report();

  report.set('machine.cores', os.cpus().length);
  report.set('machine.node', process.version);
  report.set('workload.events', events);
  report.set('workload.webhooks', webhooks);
  report.set('workload.deliveries', events * webhooks);
  report.set('workload.concurrency', concurrency);

  const { engine, tuning } = engineOptions(values);
  report.set('workload.engine', engine);
  for (const [lever, value] of Object.entries(tuning)) report.set(`workload.server.${lever}`, value);
  const bench = await startBenchStack({ name: 'herald-bench', temporal: true, mongo: true, engine, tuning });
  const { dataDir, stack, procs, memory } = bench;
  try {
    const config = loadConfig({
      PORT: '0',
      TEMPORAL_ADDRESS: stack.temporalAddress,
      // Command monitoring is a client option; the URI carries it so src/db.ts stays as it is.
      MONGODB_URI: `${stack.mongoUriBase}/herald_bench${profile && !workers ? '?monitorCommands=true' : ''}`,
      HERALD_DATA_DIR: dataDir,
      HERALD_ALLOW_PRIVATE_DESTINATIONS: 'true',
      HERALD_LOG_LEVEL: 'warn',
    });
    const logger = createLogger(config.logLevel, new Writable({ write: (_c, _e, cb) => cb() }));
    const secrets = loadSecrets(config);
    // This process's connections: Herald itself in the default shape, the history profile's client in both.
    const connections = await openConnections(config, { temporalAddress: stack.temporalAddress!, mongodbUri: config.mongodbUri! }, logger);
    const commands = profile && !workers ? new CommandCounter(connections.db.connection) : null;
    let herald: { url: string; apiKey: string; close(): Promise<void> };
    if (workers > 0) {
      // The scale-out shape: the API and N workers as their own processes (CPU and memory tracked).
      const started = await startHeraldProcesses({ workers, temporalAddress: stack.temporalAddress!, mongodbUri: config.mongodbUri!, dataDir, log: (l) => process.stderr.write(`${l}\n`) });
      procs.push(...started.processes);
      herald = { url: started.url, apiKey: started.apiKey, close: () => started.stop() };
    } else {
      const metrics = createMetrics();
      installQuietTemporalRuntime();
      const bundlePath = path.join(dataDir, 'bundle.js');
      writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: silent() })).code);
      // The same composition as `npm start` (src/main.ts).
      const { deps, worker } = await startApiAndWorker({ config, connections, secrets, logger, metrics, temporalAddress: stack.temporalAddress!, workflowBundlePath: bundlePath });
      const server = await listen(createApp(deps), 0, '127.0.0.1');
      herald = {
        url: server.url,
        apiKey: secrets.apiKeys[0],
        close: async () => {
          await server.close();
          await worker.shutdown();
        },
      };
    }
    report.set('workload.shape', workers > 0 ? `api + ${workers} worker process(es)` : 'api and worker in one process (npm start)');
    const receiver = await startBenchReceiver();

    const api = async (method: string, p: string, body: unknown): Promise<any> => {
      const res = await fetch(`${herald.url}${p}`, {
        method,
        headers: { authorization: `Bearer ${herald.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = await res.json();
      if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const versions = num('versions');
    report.set('workload.event_type_versions', versions);
    if (versions > 0) await declareVersions(api, ['bench.event', 'bench.single'], versions);
    // Webhook 0 also takes `bench.single`, so a single event makes exactly one notification.
    for (let i = 0; i < webhooks; i++) {
      const eventTypes = i === 0 ? ['bench.event', 'bench.single'] : ['bench.event'];
      // With versions, pinned to the first: every delivery converts through the whole chain.
      await api('POST', '/v1/webhooks', { name: `bench-${i}`, eventTypes, url: `${receiver.url}/w${i}`, ...(versions > 0 ? { apiVersion: versionOf(1) } : {}) });
    }
    const post: PostEvent = async (i, type) => {
      const r = await api('POST', '/v1/events', { type, data: dataAt(versions, i), entityIds: [`client-${i % 50}`] });
      return (r.notifications as Array<{ id: string }>).map((n) => n.id);
    };
    const arrivedWithin = async (ids: Iterable<string>) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([receiver.waitFor(ids), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    };

    /** Runs one phase and prints its load average before, and its CPU and memory after. */
    const phase = async <T>(name: string, run: () => Promise<T & { deliveries: number; wallMs: number }>) => {
      report.set(`${name}.loadavg_before`, os.loadavg().map((l) => l.toFixed(2)).join(' '));
      const threadsBefore = profile ? cpuMsByThread(process.pid) : null;
      memory.reset();
      const before = cpuSnapshot(procs);
      const startUs = process.hrtime.bigint() / 1000n;
      const result = await run();
      const cpu = cpuDelta(before, cpuSnapshot(procs));
      // The same clock V8 stamps CPU profile samples with: cpu-profile-summary --window takes it.
      report.set(`${name}.hrtime_window_us`, `${startUs}-${process.hrtime.bigint() / 1000n}`);
      const peaks = memory.peaks('phase');
      for (const [proc, ms] of cpu) {
        report.set(`${name}.cpu_ms_per_delivery.${proc}`, ms / Math.max(1, result.deliveries), 2);
        report.set(`${name}.cpu_percent_of_one_core.${proc}`, (100 * ms) / result.wallMs, 0);
      }
      for (const [proc, bytes] of peaks) report.set(`${name}.peak_rss_mib.${proc}`, bytes / MiB, 0);
      if (threadsBefore) {
        const after = cpuMsByThread(process.pid);
        for (const [thread, ms] of threadCpuDelta(threadsBefore, after)) report.set(`${name}.node_thread_cpu_ms_per_delivery.${thread.replace(/\s+/g, '_')}`, ms / Math.max(1, result.deliveries), 2);
      }
      return result;
    };
    const latencyLines = (name: string, accepted: Accepted) => {
      const lat = summarize(latencies(accepted.at, receiver.arrivals));
      report.set(`${name}.delivered`, lat.count);
      if (lat.count < accepted.at.size) report.set(`${name}.missing`, accepted.at.size - lat.count);
      if (accepted.errors) report.set(`${name}.api_errors`, accepted.errors);
      for (const k of ['p50', 'p95', 'p99', 'max'] as const) report.set(`${name}.latency_ms.${k}`, lat[k], 1);
    };

    // Warm-up: JIT, connection pools, workflow cache; not measured.
    const warm = await closedLoop(post, num('warmup'), concurrency, 'bench.event');
    await arrivedWithin(warm.at.keys());
    let offset = num('warmup');

    if (values.accounts) {
      // The fairness phases only (scripts/bench/fairness.ts): --events is A's burst.
      await runFairness({ url: herald.url, adminKey: herald.apiKey, receiver, report, burst: events, concurrency, gapMs: num('b-gap-ms'), aLimit: values['a-limit'] ? num('a-limit') : null, arrivedWithin });
      for (const [proc, bytes] of memory.peaks('run')) report.set(`run.peak_rss_mib.${proc}`, bytes / MiB, 0);
      if (values.json) writeFileSync(values.json, `${JSON.stringify(report.toJSON(), null, 2)}\n`);
      await receiver.close();
      await herald.close();
      await connections.close();
      return;
    }

    // Throughput.
    const scrapes = profile ? await scrapeAll(stack) : null;
    const commandsBefore = commands?.snapshot();
    const connectionsBefore = receiver.connections;
    receiver.keepRequests = true;
    const throughput = await phase('throughput', async () => {
      const t0 = performance.now();
      const accepted = await closedLoop(post, events, concurrency, 'bench.event');
      report.set('throughput.ingest_events_per_s', events / (accepted.ingestMs / 1000));
      await arrivedWithin(accepted.at.keys());
      const wallMs = performance.now() - t0;
      const deliveries = [...accepted.at.keys()].filter((id) => receiver.arrivals.has(id)).length;
      report.set('throughput.delivered_per_s', deliveries / (wallMs / 1000));
      report.set('throughput.wall_ms', wallMs, 0);
      latencyLines('throughput', accepted);
      return { accepted, deliveries, wallMs };
    });
    receiver.keepRequests = false;
    offset += events;

    if (profile) {
      const per = (n: number) => n / Math.max(1, throughput.deliveries);
      // Connections are pooled: most open during the warm-up, so both the run's total and this phase's.
      report.set('profile.receiver_connections_opened_total', receiver.connections, 0);
      report.set('profile.receiver_connections_opened_in_phase', receiver.connections - connectionsBefore, 0);
      // Commands are counted on this process's client: not in the scale-out shape (FerretDB's own counts below still are).
      if (commands) {
        const delta = CommandCounter.delta(commandsBefore!, commands.snapshot());
        report.set('profile.mongo_commands_per_delivery.total', per(delta.filter(([k]) => !k.includes(' ')).reduce((s, [, v]) => s + v, 0)), 2);
        for (const [command, n] of delta) report.set(`profile.mongo_commands_per_delivery.${command.replace(' ', '.')}`, per(n), 2);
      }
      await serverMetrics(report, stack, scrapes!, per);
      await historyProfile(report, connections.temporal.client, [...throughput.accepted.at.keys()], num('profile-sample'));
    }

    // Paced: by default half the measured delivery rate (in deliveries/s, hence ÷ webhooks events/s).
    const heraldRate = throughput.deliveries / (throughput.wallMs / 1000);
    const paceRate = values['paced-rate'] ? num('paced-rate') : Math.max(0.5, heraldRate / 2 / webhooks);
    const paceSeconds = num('paced-seconds');
    if (paceSeconds > 0) {
      report.set('paced.rate_events_per_s', paceRate, 2);
      report.set('paced.rate_deliveries_per_s', paceRate * webhooks, 2);
      await phase('paced', async () => {
        const t0 = performance.now();
        const accepted = await paced(post, paceRate, paceSeconds, 'bench.event', offset);
        offset += accepted.at.size;
        await arrivedWithin(accepted.at.keys());
        const wallMs = performance.now() - t0;
        latencyLines('paced', accepted);
        return { deliveries: accepted.at.size, wallMs };
      });
    }

    // One event at a time (one webhook matches `bench.single`).
    const singles = num('single');
    if (singles > 0) {
      await phase('single', async () => {
        const t0 = performance.now();
        const accepted = await oneAtATime(post, singles, num('single-gap-ms'), 'bench.single', offset, arrivedWithin);
        offset += singles;
        latencyLines('single', accepted);
        return { deliveries: accepted.at.size, wallMs: performance.now() - t0 };
      });
    }

    // Baseline: the same bodies straight to the same receiver, same concurrency.
    const baseline = await phase('baseline', async () => {
      const r = await runBaseline(receiver.url, receiver.requests, concurrency);
      report.set('baseline.requests', r.sent);
      report.set('baseline.deliveries_per_s', r.perSecond, 0);
      return { deliveries: r.sent, wallMs: r.ms };
    });
    const baselineRate = baseline.deliveries / (baseline.wallMs / 1000);
    report.set('ratio.herald_over_baseline', heraldRate / baselineRate, 5);
    report.set('ratio.baseline_over_herald', baselineRate / heraldRate, 0);

    for (const [proc, bytes] of memory.peaks('run')) report.set(`run.peak_rss_mib.${proc}`, bytes / MiB, 0);
    report.set('run.loadavg_end', os.loadavg().map((l) => l.toFixed(2)).join(' '));

    if (values.json) writeFileSync(values.json, `${JSON.stringify(report.toJSON(), null, 2)}\n`);
    await receiver.close();
    await herald.close();
    await connections.close();
  } finally {
    await bench.stop();
  }
}

async function scrapeAll(stack: { temporalMetricsUrl?: string; ferretdbDebugUrl?: string }): Promise<{ temporal: Sample[]; ferretdb: Sample[] }> {
  const [temporal, ferretdb] = await Promise.all([
    stack.temporalMetricsUrl ? scrape(stack.temporalMetricsUrl) : [],
    stack.ferretdbDebugUrl ? scrape(`${stack.ferretdbDebugUrl}/debug/metrics`) : [],
  ]);
  return { temporal, ferretdb };
}

/** Server-side counts over the throughput phase, per delivery: what the two services were asked to do. */
async function serverMetrics(report: Report, stack: { temporalMetricsUrl?: string; ferretdbDebugUrl?: string }, before: { temporal: Sample[]; ferretdb: Sample[] }, per: (n: number) => number) {
  const after = await scrapeAll(stack);
  const t = diffSamples(before.temporal, after.temporal);
  const groups: Array<[string, string]> = [
    ['persistence_requests', 'temporal_persistence_requests'],
    ['visibility_persistence_requests', 'temporal_visibility_requests'],
    ['service_requests', 'temporal_service_requests'],
    ['task_requests', 'temporal_task_requests'],
  ];
  // By service and operation: one client call is counted by each service it passes (frontend, history, matching).
  for (const [metric, key] of groups) {
    const rows = groupBy(t, metric, ['service_name', 'operation']);
    if (rows.length === 0) continue;
    report.set(`profile.${key}_per_delivery.total`, per(rows.reduce((s, [, v]) => s + v, 0)), 2);
    for (const [op, n] of rows) if (per(n) >= 0.01) report.set(`profile.${key}_per_delivery.${op}`, per(n), 2);
  }
  // Time inside the server's SQLite persistence calls (wall time, summed over concurrent calls).
  const persistMs = groupBy(t, 'persistence_latency_sum', ['service_name', 'operation']);
  report.set('profile.temporal_persistence_ms_per_delivery.total', per(1000 * persistMs.reduce((s, [, v]) => s + v, 0)), 2);
  for (const [op, sec] of persistMs.slice(0, 8)) report.set(`profile.temporal_persistence_ms_per_delivery.${op}`, per(1000 * sec), 2);
  const historyBytes = t.filter((s) => s.name === 'history_size_sum').reduce((a, s) => a + s.value, 0);
  const historyCount = t.filter((s) => s.name === 'history_size_count').reduce((a, s) => a + s.value, 0);
  if (historyCount > 0) report.set('profile.temporal_history_bytes_avg', historyBytes / historyCount, 0);
  // Every other counter that moved at least once per 10 deliveries, for what the groups above miss.
  const shown = new Set(groups.map(([m]) => m));
  for (const [name, n] of totalsByName(t)) {
    if (shown.has(name) || name.endsWith('_count') || per(n) < 0.1) continue;
    report.set(`profile.temporal_counter_per_delivery.${name}`, per(n), 2);
  }
  const f = diffSamples(before.ferretdb, after.ferretdb);
  for (const [command, n] of groupBy(f, 'ferretdb_client_requests_total', 'command')) if (per(n) >= 0.01) report.set(`profile.ferretdb_requests_per_delivery.${command}`, per(n), 2);
  const accepts = f.filter((s) => s.name === 'ferretdb_client_accepts_total').reduce((a, s) => a + s.value, 0);
  report.set('profile.ferretdb_connections_accepted', accepts, 0);
}

/** History of a sample of the throughput phase's notifications, evenly spread over it. */
async function historyProfile(report: Report, client: Parameters<typeof fetchHistories>[0], ids: string[], sample: number) {
  const step = Math.max(1, Math.floor(ids.length / Math.max(1, sample)));
  const chosen = ids.filter((_, i) => i % step === 0).slice(0, sample);
  const counts = countEvents(await fetchHistories(client, chosen.map(notificationWorkflowId)));
  const per = (n: number) => n / Math.max(1, counts.workflows);
  report.set('profile.history.sampled_workflows', counts.workflows);
  report.set('profile.history.events_per_notification', per(counts.events), 2);
  report.set('profile.history.workflow_tasks_per_notification', per(counts.byType.get('WorkflowTaskCompleted') ?? 0), 2);
  report.set('profile.history.activity_tasks_per_notification', per(counts.byType.get('ActivityTaskScheduled') ?? 0), 2);
  report.set('profile.history.local_activity_markers_per_notification', per(counts.localActivityMarkers), 2);
  report.set('profile.history.search_attribute_upserts_per_notification', per(counts.byType.get('UpsertWorkflowSearchAttributes') ?? 0), 2);
  for (const [type, n] of [...counts.byType].sort((a, b) => b[1] - a[1])) report.set(`profile.history.event.${type}`, per(n), 2);
}

/** Re-runs this script under `node --cpu-prof` (same loader flags), one .cpuprofile per thread into dir. */
function respawnUnderCpuProf(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const args = process.argv.slice(2);
  const i = args.findIndex((a) => a === '--cpu-prof-dir' || a.startsWith('--cpu-prof-dir='));
  args.splice(i, args[i].includes('=') ? 1 : 2);
  const child = spawn(process.execPath, [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${path.resolve(dir)}`, process.argv[1], ...args], {
    stdio: 'inherit',
    // The directory, for the scale-out shape's processes to profile themselves into (one subdirectory each).
    env: { ...process.env, HERALD_BENCH_CPU_PROF: path.resolve(dir) },
  });
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      process.stderr.write(`CPU profiles in ${path.resolve(dir)}; summary: npx tsx scripts/cpu-profile-summary.ts ${path.resolve(dir)}\n`);
      process.exitCode = code ?? 1;
      resolve();
    }),
  );
}

function silent() {
  const noop = () => {};
  return { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
}

main().then(
  // A leftover keep-alive socket must not hold the process (nor delay the --cpu-prof write).
  () => setTimeout(() => process.exit(), 5000).unref(),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
