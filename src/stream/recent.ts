/**
 * The log's newest entries as this process accepted them, kept in memory for a minute so that a
 * stream served by the process that accepted its events reads them without a query (with
 * `npm start`, one process does both: streams that keep up read from here). Only what this
 * process knows to be final goes in: an event stored at its offset (after a late insert's move),
 * so an entry says exactly what the log in MongoDB says for that offset. Anything else — another
 * process's events, older ones, a stream that fell behind — is read from MongoDB (log-reader.ts).
 * The purge never removes an event memory still serves: it removes events past the retention (an
 * account's is an hour at least), and memory forgets them after a minute.
 */
import type { LogEvent } from './log-reader';
import { claimId } from './log';

/** Entries kept per process (about 1 KiB each) and for how long. */
const MAX_ENTRIES = 20_000;
const MAX_AGE_MS = 60_000;

interface Entry {
  event: LogEvent;
  at: number;
}

/** Per model (so per database: tests run several Heralds in one process). */
const logs = new WeakMap<object, Map<string, Entry>>();
/** Streams waiting for the next append, per model: woken at once instead of at their next poll. */
const waiting = new WeakMap<object, { appended: Promise<void>; wake: () => void }>();

function logOf(model: object): Map<string, Entry> {
  let log = logs.get(model);
  if (!log) logs.set(model, (log = new Map()));
  return log;
}

/** Records an event this process stored at its final offset. */
export function rememberAppended(model: object, accountId: string, event: LogEvent): void {
  const log = logOf(model);
  log.set(claimId(accountId, event.streamPartition, event.streamOffset), { event, at: Date.now() });
  waiting.get(model)?.wake();
  waiting.delete(model);
  // Oldest first (insertion order): drop what is over the bound or the age.
  const now = Date.now();
  for (const [key, entry] of log) {
    if (log.size <= MAX_ENTRIES && now - entry.at <= MAX_AGE_MS) break;
    log.delete(key);
  }
}

/** The event this process stored at that offset, if it still remembers it. */
export function recentAt(model: object, accountId: string, partition: number, offset: number): LogEvent | undefined {
  const entry = logs.get(model)?.get(claimId(accountId, partition, offset));
  return entry && Date.now() - entry.at <= MAX_AGE_MS ? entry.event : undefined;
}

/** Forgets everything (the benchmark's cold read: as if another process had accepted the events). */
export function forgetRecent(model: object): void {
  logs.delete(model);
}

/**
 * Resolves at the next event this process appends (any account's: a stream looks and waits again
 * if it was not its own). One promise for all waiters until then, so waiting holds nothing per poll.
 */
export function nextAppend(model: object): Promise<void> {
  let w = waiting.get(model);
  if (!w) {
    let wake!: () => void;
    const appended = new Promise<void>((resolve) => (wake = resolve));
    waiting.set(model, (w = { appended, wake }));
  }
  return w.appended;
}
