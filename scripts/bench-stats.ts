/**
 * `npx tsx scripts/bench-stats.ts [--days 30] [--webhooks 50] [--accounts 20]`: what the stats and
 * charts cost on the embedded store, from their rollups (src/stats/). Fills a fresh FerretDB with
 * the rollups of `--days` of traffic for one account of `--webhooks` busy webhooks (and as much for
 * `--accounts` other accounts, so the collection is large), as compaction leaves them: one document
 * per hour older than two hours, one per 10-minute block of the last two hours, one per minute of the
 * current block, and the last half minute as two writers' 5-second flushes. Then times, in that account, GET /v1/stats/webhooks's read (the
 * overview, last 24 h and 7 days) and GET /v1/stats/deliveries's (hour and day windows); then two
 * hours of flushes never compacted (2 writers × 12 flushes a minute), the read over them, and the
 * compaction that folds them. Prints milliseconds (median of 15 runs after 3 warm-ups).
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { ensureTool } from '../src/embedded/tools';
import { startFerretDb } from '../src/embedded/ferretdb';
import { freePort } from '../src/embedded/child-process';
import { connectDatabase } from '../src/db';
import { acrossAccounts, inAccount } from '../src/accounts/scope';
import { ROLLUP_LEVELS } from '../src/models/delivery-rollup';
import { readRollups, seriesOf, totalsByWebhook } from '../src/stats/rollup-read';
import { compactAccount } from '../src/stats/compaction';
import { deliveryWindow } from '../src/routes/stats';
import { addAttempt, addStatus, BLOCK_MS, blockKey, emptyTally, floorTo, HOUR_MS, hourKey, MINUTE_MS, minuteKey, packMinutes, packTallies, type Tally } from '../src/stats/tally';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const DAYS = arg('days', 30);
const WEBHOOKS = arg('webhooks', 50);
const ACCOUNTS = arg('accounts', 20);

/** A busy webhook's minute (×60 for an hour): a few hundred attempts, some failures, a latency spread. */
function busyTally(scale: number, seed: number): Tally {
  const t = emptyTally();
  for (let i = 0; i < 12; i++) addAttempt(t, 'success', 20 + ((i * 37 + seed) % 400));
  addAttempt(t, 'http_status', 120 + (seed % 50));
  if (seed % 7 === 0) addAttempt(t, 'timeout', 15_000);
  addStatus(t, 'sent', 12);
  addStatus(t, 'failed', 1);
  for (const k of Object.keys(t.latency)) t.latency[k] *= scale;
  for (const k of Object.keys(t.attempts) as Array<keyof Tally['attempts']>) t.attempts[k]! *= scale;
  for (const k of Object.keys(t.statuses) as Array<keyof Tally['statuses']>) t.statuses[k]! *= scale;
  t.latencyCount *= scale;
  t.latencySumMs *= scale;
  return t;
}

function docsFor(accountId: string, now: number, opts: { compacted: boolean }) {
  const hooks = Array.from({ length: WEBHOOKS }, (_, i) => `wh_${accountId}_${String(i).padStart(3, '0')}`);
  const all = (scale: number, seed: number) => packTallies(new Map(hooks.map((w, i) => [w, busyTally(scale, seed + i)])));
  const docs: Array<Record<string, unknown>> = [];
  const currentMinute = floorTo(now, MINUTE_MS);
  const minutesFrom = floorTo(now, HOUR_MS) - HOUR_MS; // the last two hours stay per minute
  for (let hour = floorTo(now - DAYS * 86_400_000, HOUR_MS); hour < minutesFrom; hour += HOUR_MS) {
    if (!opts.compacted && hour < now - 26 * HOUR_MS) continue;
    if (opts.compacted) docs.push({ _id: `${accountId}|${hourKey(hour)}|~1`, accountId, level: ROLLUP_LEVELS.hour, at: new Date(hour), w: all(60, hour / HOUR_MS) });
  }
  const flushes = (minute: number, n = 12) => {
    for (const writer of ['aaaa0001', 'bbbb0002']) for (let f = 0; f < n; f++) {
      docs.push({ _id: `${accountId}|${minuteKey(minute)}|${writer}|${String(f).padStart(6, '0')}`, accountId, level: ROLLUP_LEVELS.flush, at: new Date(minute), w: all(1, minute / MINUTE_MS + f) });
    }
  };
  if (!opts.compacted) {
    for (let minute = currentMinute - 120 * MINUTE_MS; minute <= currentMinute; minute += MINUTE_MS) flushes(minute);
    return docs;
  }
  const currentBlock = floorTo(now, BLOCK_MS);
  for (let block = minutesFrom; block < currentBlock; block += BLOCK_MS) {
    const minutes = new Map(Array.from({ length: 10 }, (_, i) => [block + i * MINUTE_MS, new Map(hooks.map((w, k) => [w, busyTally(24, i + k)]))] as const));
    docs.push({ _id: `${accountId}|${blockKey(block)}|~1`, accountId, level: ROLLUP_LEVELS.block, at: new Date(block), w: packMinutes(minutes) });
  }
  for (let minute = currentBlock; minute <= currentMinute; minute += MINUTE_MS) {
    docs.push({ _id: `${accountId}|${minuteKey(minute)}|~1`, accountId, level: ROLLUP_LEVELS.minute, at: new Date(minute), w: all(24, minute / MINUTE_MS) });
  }
  flushes(currentMinute, 6);
  return docs;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  const runs: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    await fn();
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  return Math.round(runs[7] * 10) / 10;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'herald-bench-stats-'));
  const ferret = await startFerretDb({ bin: await ensureTool('ferretdb'), dataDir, port: await freePort() });
  const db = await connectDatabase(`${ferret.uriBase}/bench_stats`);
  const { DeliveryRollup } = db.models;
  try {
    const now = Date.now();
    const insert = async (docs: Array<Record<string, unknown>>) => {
      for (let i = 0; i < docs.length; i += 500) await acrossAccounts(() => DeliveryRollup.insertMany(docs.slice(i, i + 500)));
    };
    const t0 = performance.now();
    console.log(`FerretDB up, filling (${new Date().toISOString()})`);
    for (let a = 0; a < ACCOUNTS; a++) await insert(docsFor(`acc_other${String(a).padStart(3, '0')}`, now, { compacted: true }));
    const mine = docsFor('acc_bench', now, { compacted: true });
    await insert(mine);
    const stored = await acrossAccounts(() => DeliveryRollup.countDocuments({}));
    console.log(`rollups stored: ${stored} (${ACCOUNTS + 1} accounts × ${DAYS} days × ${WEBHOOKS} webhooks, compacted); the measured account: ${mine.length}; filled in ${Math.round((performance.now() - t0) / 1000)} s`);

    const overview = (sinceMs: number) => inAccount('acc_bench', async () => {
      const entries = await readRollups(DeliveryRollup, undefined, 'acc_bench', sinceMs);
      return totalsByWebhook(entries, sinceMs);
    });
    const deliveries = (window: 'hour' | 'day', webhookId?: string) => inAccount('acc_bench', async () => {
      const w = deliveryWindow(window, Date.now());
      const entries = await readRollups(DeliveryRollup, undefined, 'acc_bench', w.fromMs);
      return seriesOf(entries, { ...w, webhookId });
    });
    const check = await overview(now - 86_400_000);
    if (check.size !== WEBHOOKS) throw new Error(`overview saw ${check.size} webhooks, not ${WEBHOOKS}`);
    console.log(`GET /v1/stats/webhooks, last 24 h (the overview): ${await time(() => overview(Date.now() - 86_400_000))} ms`);
    console.log(`GET /v1/stats/webhooks, last 7 days: ${await time(() => overview(Date.now() - 7 * 86_400_000))} ms`);
    console.log(`GET /v1/stats/deliveries?window=hour (account): ${await time(() => deliveries('hour'))} ms`);
    console.log(`GET /v1/stats/deliveries?window=day (account): ${await time(() => deliveries('day'))} ms`);
    console.log(`GET /v1/stats/deliveries?window=day&webhookId= (one webhook): ${await time(() => deliveries('day', 'wh_acc_bench_007'))} ms`);

    const raw = docsFor('acc_raw', now, { compacted: false });
    await insert(raw);
    const rawOverview = () => inAccount('acc_raw', async () => totalsByWebhook(await readRollups(DeliveryRollup, undefined, 'acc_raw', Date.now() - 86_400_000), Date.now() - 86_400_000));
    console.log(`two hours never compacted (${raw.length} flushes of 2 writers): overview ${await time(rawOverview)} ms`);
    const t1 = performance.now();
    const result = await compactAccount(DeliveryRollup, 'acc_raw', new Date());
    console.log(`its compaction: ${Math.round(performance.now() - t1)} ms (${result.hours} hours, ${result.blocks} blocks, ${result.minutes} minutes written, ${result.deleted} flushes deleted)`);
    console.log(`then the overview: ${await time(rawOverview)} ms`);
    const t2 = performance.now();
    const idle = await compactAccount(DeliveryRollup, 'acc_raw', new Date(Date.now() + 60_000));
    console.log(`a compaction with nothing to do: ${Math.round(performance.now() - t2)} ms (${idle.hours + idle.minutes} written)`);
  } finally {
    await db.close();
    await ferret.process.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
