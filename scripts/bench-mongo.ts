/**
 * What one MongoDB call costs this Node process: `npm run bench:mongo` starts the embedded FerretDB
 * on a free port and times the calls Herald's hot path makes (insert an event, update it by `_id`,
 * read it by `_id`), each through a mongoose model and through the driver's collection underneath,
 * and a mongoose read with and without its per-query stack capture (src/db.ts turns it off).
 * Prints CPU-ms (this process's user + system time) and wall-ms per call, sequential calls.
 *
 * Options: --calls N (per measurement, default 1000), --rounds R (default 3; the first round also
 * pays for V8 compiling the code paths, so read the last; the measurements are interleaved so a
 * machine that drifts shows in the spread), --json FILE.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { startBenchStack } from './bench/stack';
import { connectDatabase } from '../src/db';
import { Report } from './bench/report';

const OPTIONS = {
  calls: { type: 'string', default: '1000' },
  rounds: { type: 'string', default: '3' },
  json: { type: 'string' },
} as const;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: OPTIONS });
  const calls = Number(values.calls);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(calls) || calls < 1) throw new Error(`--calls must be a positive integer, got ${values.calls}`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${values.rounds}`);
  const report = new Report();
  const bench = await startBenchStack({ name: 'herald-bench-mongo', temporal: false, mongo: true });
  const db = await connectDatabase(`${bench.stack.mongoUriBase}/bench_mongo`);
  try {
    const { Event } = db.models;
    const events = db.connection.db!.collection<{ _id: string }>('events');
    // An event like the bench's: small data, two entity ids.
    const doc = (id: string) => ({
      _id: id,
      type: 'loan.disbursed',
      dataJson: JSON.stringify({ loanId: id, amount: 1000, currency: 'EUR', client: { id: 'c1', name: 'Ada' } }),
      entityIds: [id, 'c1'],
      occurredAt: new Date(),
      dedupeKey: `id:${id}`,
      source: null,
    });
    const measurements: Array<[string, (i: number) => Promise<unknown>]> = [
      ['insert_event.mongoose_create', (i) => Event.create(doc(`m${i}`)).then((d) => d.toObject())],
      ['insert_event.driver', (i) => events.insertOne(doc(`d${i}`))],
      ['update_by_id.mongoose', (i) => Event.updateOne({ _id: `m${i}` }, { $set: { dispatchedAt: new Date() } })],
      ['update_by_id.driver', (i) => events.updateOne({ _id: `d${i}` }, { $set: { dispatchedAt: new Date() } })],
      ['find_by_id.mongoose_lean', (i) => Event.findById(`m${i}`).lean()],
      ['find_by_id.mongoose_lean_with_original_stack', (i) => withOriginalStacks(() => Event.findById(`m${i}`).lean())],
      ['find_by_id.driver', (i) => events.findOne({ _id: `d${i}` })],
    ];
    for (let round = 1; round <= rounds; round++) {
      for (const [name, call] of measurements) {
        // Inserts need fresh ids each round; reads and updates find the first round's documents.
        const offset = name.startsWith('insert_') ? (round - 1) * calls : 0;
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) await call(offset + i);
        const cpu = process.cpuUsage(cpu0);
        report.set(`round${round}.${name}.cpu_ms_per_call`, (cpu.user + cpu.system) / 1000 / calls, 3);
        report.set(`round${round}.${name}.wall_ms_per_call`, (performance.now() - t0) / calls, 3);
      }
    }
  } finally {
    await db.close();
    await bench.stop();
  }
  if (values.json) writeFileSync(values.json, `${JSON.stringify(report.toJSON(), null, 2)}\n`);
}

/** Runs `fn` with the `new Error().stack` mongoose keeps of every query by default (src/db.ts turns it off). */
async function withOriginalStacks<T>(fn: () => PromiseLike<T>): Promise<T> {
  mongoose.set('skipOriginalStackTraces', false);
  try {
    return await fn();
  } finally {
    mongoose.set('skipOriginalStackTraces', true);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
