/**
 * `npm run bench -- --stream`: the Streaming API on the embedded stack. The API runs in this
 * process (no worker: no webhook matches, so the figures are the log's own). Phases:
 * - ingest: N events posted by C clients, and the offset claim (an insert) timed alone (the one
 *   write the log adds to accepting an event);
 * - read by one consumer, then by four consumers of one subscription (separate subscriptions,
 *   each from the beginning; each consumer a process of its own, stream-reader.ts), batch_limit
 *   100, every batch committed; then by one consumer again
 *   with this process's memory of the log forgotten (every event read from MongoDB);
 * - latency: events paced at R/s, one consumer (batch_limit 1), from the POST's start to the read
 *   (so it includes the ingest itself).
 */
import { loadConfig } from '../../src/config';
import { loadSecrets, openConnections, appDeps } from '../../src/runtime';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { createApp } from '../../src/app';
import { listen } from '../../src/boot';
import { inAccount, DEFAULT_ACCOUNT } from '../../src/accounts/scope';
import { allocateOffset, markSkipped } from '../../src/stream/log';
import { consumeStream } from '../../src/stream/consumer';
import { fork } from 'node:child_process';
import path from 'node:path';
import { forgetRecent } from '../../src/stream/recent';
import { Report } from './report';
import { summarize } from './stats';
import { startBenchStack } from './stack';
import { cpuDelta, cpuSnapshot } from './proc';

export async function runStreamBench(opts: { events: number; concurrency: number; rate: number; seconds: number }): Promise<void> {
  const report = new Report();
  const bench = await startBenchStack({ name: 'herald-bench-stream', temporal: true, mongo: true });
  try {
    const config = loadConfig({
      PORT: '0',
      TEMPORAL_ADDRESS: bench.stack.temporalAddress,
      MONGODB_URI: `${bench.stack.mongoUriBase}/herald_bench_stream`,
      HERALD_DATA_DIR: bench.dataDir,
      HERALD_LOG_LEVEL: 'warn',
    });
    // Errors only, to stderr: the figures stay on stdout.
    const logger = createLogger('error', process.stderr);
    const secrets = loadSecrets(config);
    const connections = await openConnections(config, { temporalAddress: bench.stack.temporalAddress!, mongodbUri: config.mongodbUri! }, logger);
    const server = await listen(createApp(appDeps(config, connections, secrets, logger, createMetrics())), 0, '127.0.0.1');
    const url = server.url;
    const apiKey = secrets.apiKeys[0];
    const api = async (method: string, p: string, body: unknown) => {
      const res = await fetch(`${url}${p}`, { method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = (await res.json()) as any;
      if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const post = (i: number) => api('POST', '/v1/events', { type: 'bench.stream', data: { i, amount: i * 10 }, entityIds: [`client-${i % 50}`] });

    // Ingest, with the log (every event gets its offset).
    for (let i = 0; i < 50; i++) await post(i); // warm-up
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: opts.concurrency }, async () => {
      while (next < opts.events) await post(next++);
    }));
    report.set('stream.ingest_events_per_s', opts.events / ((performance.now() - t0) / 1000), 0);
    const single: number[] = [];
    for (let i = 0; i < 200; i++) {
      const s = performance.now();
      await post(i);
      single.push(performance.now() - s);
    }
    const counter: number[] = [];
    await inAccount(DEFAULT_ACCOUNT, async () => {
      for (let i = 0; i < 200; i++) {
        const s = performance.now();
        const at = await allocateOffset(connections.db.models, [`bench-counter-${i}`], 'x');
        counter.push(performance.now() - s);
        await markSkipped(connections.db.models, at); // unused: readers must not wait on it
      }
    });
    const one = summarize(single);
    const inc = summarize(counter);
    report.set('stream.ingest_one_at_a_time_ms.p50', one.p50, 2);
    report.set('stream.offset_claim_write_ms.p50', inc.p50, 2);
    report.set('stream.offset_claim_share_of_ingest_percent', (100 * inc.p50) / one.p50, 0);

    const total = opts.events + 50 + 200; // every bench.stream event posted above
    const readAll = async (consumers: number, group: string) => {
      const sub = await api('POST', '/v1/subscriptions', { owningApplication: 'bench', eventTypes: ['bench.stream'], consumerGroup: group, readFrom: 'begin' });
      // Each consumer is a process of its own (stream-reader.ts): started, loaded, then all told to go.
      const readers = Array.from({ length: consumers }, () =>
        fork(path.join(__dirname, 'stream-reader.ts'), [url, apiKey, sub.id], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }),
      );
      await Promise.all(readers.map((r) => new Promise((resolve) => r.once('message', resolve))));
      let read = 0;
      let finished!: () => void;
      const allRead = new Promise<void>((resolve) => (finished = resolve));
      const readerCpu = readers.map((r) => new Promise<number>((resolve) => {
        r.on('message', (m: { read?: number; cpuMs?: number }) => {
          if (m.read) read += m.read;
          if (read >= total) finished();
          if (m.cpuMs !== undefined) resolve(m.cpuMs);
        });
      }));
      const cpuBefore = cpuSnapshot(bench.procs);
      const s = performance.now();
      const progress = setInterval(() => process.stderr.write(`stream bench: ${consumers} consumer(s) read ${read} of ${total}\n`), 2000);
      for (const r of readers) r.send('go');
      await allRead;
      const perSecond = total / ((performance.now() - s) / 1000);
      const cpu = cpuDelta(cpuBefore, cpuSnapshot(bench.procs));
      clearInterval(progress);
      for (const r of readers) r.send('stop');
      const consumersCpu = (await Promise.all(readerCpu)).reduce((a, b) => a + b, 0);
      // Which process bounds the read: CPU per 1,000 events read (node: the API serving the
      // streams, in this process; ferretdb: the log's reads and the commits; consumers: the
      // consumer processes, their whole life, start-up included).
      for (const [name, ms] of cpu) if (name !== 'total') report.set(`stream.read_cpu_ms_per_1000_events.${group}.${name}`, (1000 * ms) / total, 0);
      report.set(`stream.read_cpu_ms_per_1000_events.${group}.consumers`, (1000 * consumersCpu) / total, 0);
      return perSecond;
    };
    report.set('stream.read_events_per_s.one_consumer', await readAll(1, 'one'), 0);
    report.set('stream.read_events_per_s.four_consumers', await readAll(4, 'four'), 0);
    // Cold: the events are not in this process's memory of what it appended (src/stream/recent.ts),
    // as for a stream served by another API process, or one more than a minute behind.
    forgetRecent(connections.db.models.StreamOffsetClaim);
    report.set('stream.read_events_per_s.one_consumer_from_mongodb', await readAll(1, 'cold'), 0);

    // Latency at a fixed rate.
    const sub = await api('POST', '/v1/subscriptions', { owningApplication: 'bench', eventTypes: ['bench.latency'], consumerGroup: 'latency', readFrom: 'end' });
    const sentAt = new Map<number, number>();
    const acceptedAt = new Map<number, number>();
    const lat: number[] = [];
    const afterAccept: number[] = [];
    const controller = new AbortController();
    const n = Math.round(opts.rate * opts.seconds);
    const reading = consumeStream({
      url, apiKey, subscriptionId: sub.id, query: { batch_limit: 1, batch_flush_timeout: 1 }, signal: controller.signal,
      onEvents(events) {
        const now = performance.now();
        for (const e of events) {
          lat.push(now - sentAt.get(e.data.i as number)!);
          // Read before the 202 came back counts as 0: the event was in the log already.
          afterAccept.push(Math.max(0, now - (acceptedAt.get(e.data.i as number) ?? now)));
        }
        if (lat.length >= n) controller.abort();
      },
    }).catch((err: unknown) => { if (!controller.signal.aborted) throw err; });
    await new Promise((r) => setTimeout(r, 500));
    const start = performance.now();
    const posts: Array<Promise<unknown>> = [];
    for (let i = 0; i < n; i++) {
      const due = start + (i * 1000) / opts.rate;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      sentAt.set(i, performance.now());
      posts.push(api('POST', '/v1/events', { type: 'bench.latency', data: { i }, entityIds: [`client-${i % 50}`] }).then(() => acceptedAt.set(i, performance.now())));
    }
    await Promise.all(posts);
    await Promise.race([reading, new Promise((r) => setTimeout(r, 10_000))]);
    controller.abort();
    const l = summarize(lat);
    report.set('stream.latency_rate_per_s', opts.rate, 0);
    report.set('stream.latency_ms.p50', l.p50, 1);
    report.set('stream.latency_ms.p99', l.p99, 1);
    report.set('stream.latency_read', lat.length, 0);
    const post202 = summarize([...acceptedAt].map(([i, t]) => t - sentAt.get(i)!));
    report.set('stream.latency_post_to_202_ms.p50', post202.p50, 1);
    report.set('stream.latency_post_to_202_ms.p99', post202.p99, 1);
    const a = summarize(afterAccept);
    report.set('stream.latency_202_to_read_ms.p50', a.p50, 1);
    report.set('stream.latency_202_to_read_ms.p99', a.p99, 1);
    await server.close();
    await connections.close();
  } finally {
    await bench.stop();
  }
}
