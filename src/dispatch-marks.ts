/**
 * The "dispatched" mark on events (`dispatchedAt`, `notificationCount`), written in groups: while
 * one write is in flight, the marks of events that finish their fan-out meanwhile wait and go
 * together in the next one (one `updateMany` by `_id` per account and count). An event alone is
 * written at once, as before; under load, twenty concurrent events cost a few commands instead of
 * twenty. Each caller still waits for its own mark and sees its own failure, so what the API
 * answers and what the dispatch sweeper finds are as they were.
 */
import type { Models } from './models';
import { currentAccountId, inAccount } from './accounts/scope';

interface Mark {
  accountId: string;
  eventId: string;
  count: number;
  done: (err?: unknown) => void;
}

interface Writer {
  queue: Mark[];
  flushing: boolean;
}

const MAX_IDS_PER_WRITE = 500;

/** Per Event model (so per database: tests run several Heralds in one process). */
const writers = new WeakMap<object, Writer>();

/** Marks the event dispatched with its notification count; resolves once stored. */
export function markDispatched(models: Pick<Models, 'Event'>, eventId: string, count: number): Promise<void> {
  let writer = writers.get(models.Event);
  if (!writer) writers.set(models.Event, (writer = { queue: [], flushing: false }));
  const w = writer;
  const accountId = currentAccountId();
  return new Promise<void>((resolve, reject) => {
    w.queue.push({ accountId, eventId, count, done: (err) => (err === undefined ? resolve() : reject(err)) });
    if (!w.flushing) void flush(models, w);
  });
}

async function flush(models: Pick<Models, 'Event'>, w: Writer): Promise<void> {
  w.flushing = true;
  try {
    while (w.queue.length > 0) await write(models, w.queue.splice(0));
  } finally {
    w.flushing = false;
  }
}

/** One update per (account, count); never throws: each mark learns its own group's outcome. */
async function write(models: Pick<Models, 'Event'>, marks: Mark[]): Promise<void> {
  const groups = new Map<string, Mark[]>();
  for (const m of marks) {
    const key = `${m.accountId}\n${m.count}`;
    const group = groups.get(key);
    if (group) group.push(m);
    else groups.set(key, [m]);
  }
  // FerretDB answers `_id: {$in}` from the index up to 1,000 ids (src/embedded/ferretdb-patches.ts).
  const writes = [...groups.values()].flatMap((group) => Array.from({ length: Math.ceil(group.length / MAX_IDS_PER_WRITE) }, (_, i) => group.slice(i * MAX_IDS_PER_WRITE, (i + 1) * MAX_IDS_PER_WRITE)));
  const dispatchedAt = new Date();
  await Promise.all(
    writes.map(async (group) => {
      const { accountId, count } = group[0];
      try {
        await inAccount(accountId, () =>
          models.Event.updateMany({ _id: { $in: group.map((m) => m.eventId) } }, { $set: { dispatchedAt, notificationCount: count } }),
        );
        for (const m of group) m.done();
      } catch (err) {
        for (const m of group) m.done(err ?? new Error('dispatch mark failed'));
      }
    }),
  );
}
