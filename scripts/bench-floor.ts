/**
 * The floor under Herald's cost per notification: `npm run bench:floor` runs workflows that do none
 * of Herald's work (scripts/bench/floor-workflows.ts) on the same embedded Temporal dev server
 * (same flags as `npm start`) with a worker shaped like Herald's (same cache size, eager starts from
 * a client on the worker's connection), and prints what each workflow costs: CPU of the Temporal
 * server and of this Node process (by thread), and workflows per second. Whatever Herald adds
 * (MongoDB, HTTP, the API) comes on top of this, so it bounds what `npm run bench` can reach with
 * one workflow per notification on this machine (README "Performance").
 *
 * Options: --workflows N (default 2000), --concurrency C (starts in flight, default 20),
 * --shapes empty,herald-shape (default both, run in that order), --cache N (the worker's
 * maxCachedWorkflows, default 250 as in src/worker.ts), --json FILE.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, WorkflowIdReusePolicy } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { HeraldEventType, HeraldStatus, HeraldWebhookId } from '../workflows/shared';
import { Report } from './bench/report';
import { cpuDelta, cpuMsByThread, cpuSnapshot, threadCpuDelta } from './bench/proc';
import { ENGINE_OPTIONS, engineOptions, installQuietTemporalRuntime, startBenchStack } from './bench/stack';

const OPTIONS = {
  ...ENGINE_OPTIONS,
  workflows: { type: 'string', default: '2000' },
  concurrency: { type: 'string', default: '20' },
  shapes: { type: 'string', default: 'empty,herald-shape' },
  cache: { type: 'string', default: '250' },
  json: { type: 'string' },
} as const;

const SHAPES = {
  empty: { workflowType: 'floorEmpty', done: 'ExecutionStatus="Completed"' },
  'herald-shape': { workflowType: 'floorHeraldShape', done: `${HeraldStatus.name}="sent"` },
} as const;
type Shape = keyof typeof SHAPES;

const MiB = 2 ** 20;
const TASK_QUEUE = 'floor';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: OPTIONS });
  const count = (name: 'workflows' | 'concurrency' | 'cache') => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${values[name]}`);
    return n;
  };
  const workflows = count('workflows');
  const concurrency = Math.max(1, count('concurrency'));
  const shapes = values.shapes.split(',').map((s) => s.trim());
  const unknown = shapes.filter((s) => !(s in SHAPES));
  if (unknown.length) throw new Error(`--shapes: unknown ${unknown.join(', ')} (known: ${Object.keys(SHAPES).join(', ')})`);

  const report = new Report();
  report.set('machine.cores', os.cpus().length);
  report.set('workload.workflows', workflows);
  report.set('workload.concurrency', concurrency);
  report.set('workload.max_cached_workflows', count('cache'));

  const { engine, tuning } = engineOptions(values);
  report.set('workload.engine', engine);
  for (const [lever, value] of Object.entries(tuning)) report.set(`workload.server.${lever}`, value);
  const bench = await startBenchStack({ name: 'herald-floor', temporal: true, mongo: false, engine, tuning });
  const { dataDir, stack, procs, memory } = bench;
  try {
    installQuietTemporalRuntime();
    const connection = await NativeConnection.connect({ address: stack.temporalAddress! });
    const bundlePath = path.join(dataDir, 'bundle.js');
    writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: require.resolve('./bench/floor-workflows') })).code);
    const worker = await Worker.create({
      connection,
      taskQueue: TASK_QUEUE,
      workflowBundle: { codePath: bundlePath },
      activities: { noop: async () => {} },
      maxCachedWorkflows: count('cache'),
    });
    const running = worker.run();
    // Starts on the worker's connection can be eager, as Herald's API starts are under `npm start`.
    const client = new Client({ connection });
    try {
      for (const shape of shapes as Shape[]) await runShape(shape);
    } finally {
      worker.shutdown();
      await running;
      await connection.close();
    }

    async function runShape(shape: Shape): Promise<void> {
      const { workflowType, done } = SHAPES[shape];
      const query = `WorkflowType="${workflowType}" AND ${done}`;
      report.set(`${shape}.loadavg_before`, os.loadavg().map((l) => l.toFixed(2)).join(' '));
      memory.reset();
      const threadsBefore = cpuMsByThread(process.pid);
      const before = cpuSnapshot(procs);
      const started = Date.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < workflows) {
            const i = next++;
            await client.workflow.start(workflowType, {
              taskQueue: TASK_QUEUE,
              workflowId: `${shape}-${i}`,
              workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
              requestEagerStart: true,
              // Herald starts every notification with its three search attributes.
              typedSearchAttributes: [
                { key: HeraldStatus, value: 'pending' },
                { key: HeraldWebhookId, value: 'wh_floor' },
                { key: HeraldEventType, value: 'floor.test' },
              ],
            });
          }
        }),
      );
      const startedAll = Date.now();
      // Done = the workflow's first task completed (visible through its status or attribute).
      for (;;) {
        const { count: finished } = await client.workflow.count(query);
        if (finished >= workflows) break;
        await sleep(200);
      }
      const wallMs = Date.now() - started;
      const cpu = cpuDelta(before, cpuSnapshot(procs));
      report.set(`${shape}.workflows_per_s`, (workflows * 1000) / wallMs);
      report.set(`${shape}.starts_per_s`, (workflows * 1000) / Math.max(1, startedAll - started));
      for (const [proc, ms] of cpu) {
        report.set(`${shape}.cpu_ms_per_workflow.${proc}`, ms / workflows, 2);
        report.set(`${shape}.cpu_percent_of_one_core.${proc}`, (100 * ms) / wallMs, 0);
      }
      const threadsAfter = cpuMsByThread(process.pid);
      for (const [thread, ms] of threadCpuDelta(threadsBefore, threadsAfter)) report.set(`${shape}.node_thread_cpu_ms_per_workflow.${thread.replace(/\s+/g, '_')}`, ms / workflows, 2);
      for (const [proc, bytes] of memory.peaks('phase')) report.set(`${shape}.peak_rss_mib.${proc}`, bytes / MiB, 0);
    }
  } finally {
    await bench.stop();
  }
  if (values.json) writeFileSync(values.json, `${JSON.stringify(report.toJSON(), null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
