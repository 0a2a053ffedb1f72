/**
 * Throughput and latency of the happy path, on the real stack: `npm run bench [-- --events N
 * --webhooks W --concurrency C]`. Starts its own embedded Temporal + FerretDB on free ports (data
 * in a temp dir), one worker and the API in this process, and a receiver on 127.0.0.1 answering
 * 200. Prints numbers: ingest rate, delivered notifications per second, end-to-end latency
 * percentiles (event accepted → receiver got it), and memory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Writable } from 'node:stream';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { startEmbeddedStack } from '../src/embedded/stack';
import { freePort } from '../src/embedded/child-process';
import { loadSecrets, openConnections, appDeps } from '../src/runtime';
import { createLogger } from '../src/logger';
import { createMetrics } from '../src/metrics';
import { createApp } from '../src/app';
import { listen } from '../src/boot';
import { startWorker } from '../src/worker';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '500' },
      webhooks: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '20' },
    },
  });
  const events = Number(values.events);
  const webhooks = Number(values.webhooks);
  const concurrency = Number(values.concurrency);
  const expected = events * webhooks;

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'herald-bench-'));
  const stack = await startEmbeddedStack({
    dataDir,
    temporal: { port: await freePort(), namespace: 'default' },
    mongo: { port: await freePort() },
    tools: {},
    log: (l) => process.stdout.write(`${l}\n`),
  });
  try {
    const config = loadConfig({
      PORT: '0',
      TEMPORAL_ADDRESS: stack.temporalAddress,
      MONGODB_URI: `${stack.mongoUriBase}/herald_bench`,
      HERALD_DATA_DIR: dataDir,
      HERALD_ALLOW_PRIVATE_DESTINATIONS: 'true',
      HERALD_LOG_LEVEL: 'warn',
    });
    const logger = createLogger(config.logLevel, new Writable({ write: (_c, _e, cb) => cb() }));
    const secrets = loadSecrets(config);
    const connections = await openConnections(config, { temporalAddress: stack.temporalAddress!, mongodbUri: config.mongodbUri! }, logger);
    const metrics = createMetrics();
    const bundlePath = path.join(dataDir, 'bundle.js');
    require('node:fs').writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: silent() })).code);
    const worker = await startWorker({ config, temporalAddress: stack.temporalAddress!, models: connections.db.models, secretBox: secrets.secretBox, logger, metrics, workflowBundlePath: bundlePath });
    const server = await listen(createApp(appDeps(config, connections, secrets, logger, metrics)), 0, '127.0.0.1');

    // The receiver notes when each notification arrived (webhook-id is the notification id).
    const arrivals = new Map<string, number>();
    let resolveAll!: () => void;
    const allArrived = new Promise<void>((r) => (resolveAll = r));
    const receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        arrivals.set(String(req.headers['webhook-id']), performance.now());
        res.end('ok');
        if (arrivals.size >= expected) resolveAll();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as AddressInfo).port;

    const api = async (method: string, p: string, body: unknown) => {
      const res = await fetch(`${server.url}${p}`, {
        method,
        headers: { authorization: `Bearer ${secrets.apiKeys[0]}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return res.json() as Promise<any>;
    };
    for (let i = 0; i < webhooks; i++) {
      await api('POST', '/v1/webhooks', { name: `bench-${i}`, eventTypes: ['bench.event'], url: `http://127.0.0.1:${port}/w${i}` });
    }

    const accepted = new Map<string, number>();
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < events) {
          const i = next++;
          const r = await api('POST', '/v1/events', { type: 'bench.event', data: { i, amount: i * 10, client: `client-${i % 50}` }, entityIds: [`client-${i % 50}`] });
          const at = performance.now();
          for (const n of r.notifications) accepted.set(n.id, at);
        }
      }),
    );
    const ingestMs = performance.now() - t0;
    await allArrived;
    const totalMs = performance.now() - t0;
    const latencies = [...arrivals].map(([id, at]) => at - (accepted.get(id) ?? at)).sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(0);
    const mem = process.memoryUsage();

    process.stdout.write(
      [
        '',
        `events: ${events}, webhooks: ${webhooks}, notifications: ${expected}, API concurrency: ${concurrency}, cores: ${os.cpus().length}`,
        `ingest: ${(events / (ingestMs / 1000)).toFixed(1)} events/s (${ingestMs.toFixed(0)} ms for all POST /v1/events)`,
        `delivery: ${(expected / (totalMs / 1000)).toFixed(1)} notifications/s end to end (${totalMs.toFixed(0)} ms until the last one arrived)`,
        `latency accepted → received: p50 ${pct(50)} ms, p95 ${pct(95)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms`,
        `memory (API + worker process): rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB (was ${(rssBefore / 2 ** 20).toFixed(0)} MiB before the run), heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`,
        '',
      ].join('\n'),
    );

    receiver.close();
    await server.close();
    await worker.shutdown();
    await connections.close();
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function silent() {
  const noop = () => {};
  return { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
