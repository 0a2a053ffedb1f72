/**
 * Reading the stream log (log.ts): the offsets a stream wants next, from this process's memory of
 * what it appended (recent.ts) as far as it reaches, else looked up by their claims' `_id`s, then
 * their events by `_id` — two index searches for every partition of the stream at once, whatever
 * the size of the log (FerretDB pushes `_id: {$in}` down to its index:
 * src/embedded/ferretdb-patches.ts; any other filter reads the whole collection).
 *
 * Walking a partition from offset `from`, each offset is one of:
 * - a claim whose event is stored with this very offset: read;
 * - a claim marked skipped (its insert failed), or whose event has another offset (a duplicate's
 *   claim, or an event moved by a late insert): passed at once;
 * - a claim whose event is not there yet: its insert may be in flight, so wait — unless the claim
 *   is older than GAP_TIMEOUT_MS (the writer died, or retention purged the event): passed as gone;
 * - no claim, with a later claim in the window: a gap a writer may still fill (it reserved the
 *   offset and has not inserted the claim yet), waited for until that later claim is older than
 *   GAP_TIMEOUT_MS, then passed as gone;
 * - no claim and none after it in the window: the end of the log, for now.
 * What was passed as gone is reported (`skipped`) so the consumer knows.
 */
import type { Models } from '../models';
import { currentAccountId } from '../accounts/scope';
import { claimId, GAP_TIMEOUT_MS, MAX_WINDOW } from './log';
import { recentAt } from './recent';

export { MAX_WINDOW };

/** Offsets looked up in MongoDB past the end of what memory had. */
const GLANCE = 16;

export interface LogEvent {
  _id: string;
  type: string;
  occurredAt: Date;
  entityIds: string[];
  dataJson?: string | null;
  streamPartition: number;
  streamOffset: number;
  createdAt: Date;
}

export interface ReadWindow {
  partition: number;
  from: number;
  /** Offsets looked at, from `from` (at most MAX_WINDOW). */
  size: number;
  /**
   * When MongoDB is asked, after memory (recent.ts): `always`; `if-memory-empty` (memory had
   * nothing at `from`); `never` (memory only). Default `always`.
   */
  db?: 'always' | 'if-memory-empty' | 'never';
}

export type SkippedRange = { fromOffset: number; toOffset: number };

export interface PartitionRead {
  partition: number;
  /** Events in offset order, every offset from `from` up to `next - 1` accounted for. */
  events: LogEvent[];
  /** The next offset to read. */
  next: number;
  /** Offsets passed as gone (purged past retention, or never written), to tell the consumer. */
  skipped: SkippedRange | null;
  /** Whether any offset of the window had a claim: none means the end of the log (or a hole wider than the window). */
  sawClaims: boolean;
  /** Whether MongoDB was asked (not only memory). */
  consultedDb: boolean;
}

export interface Claim {
  _id: string;
  offset: number;
  eventId?: string | null;
  at?: Date | null;
  skipped?: boolean | null;
  reappended?: boolean | null;
}

const EVENT_FIELDS = { type: 1, occurredAt: 1, entityIds: 1, dataJson: 1, streamPartition: 1, streamOffset: 1, createdAt: 1 } as const;

async function inChunks<T>(ids: string[], read: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += MAX_WINDOW) out.push(...(await read(ids.slice(i, i + MAX_WINDOW))));
  return out;
}

/**
 * Reads every window (one per partition): first what this process remembers having appended
 * (recent.ts), then the rest from MongoDB in two round trips for all partitions together.
 */
export async function readLog(models: Pick<Models, 'Event' | 'StreamOffsetClaim'>, windows: ReadWindow[], now = Date.now()): Promise<PartitionRead[]> {
  const accountId = currentAccountId();
  const fromMemory = windows.map((w) => {
    const events: LogEvent[] = [];
    for (let o = w.from; o < w.from + w.size; o++) {
      const e = recentAt(models.StreamOffsetClaim, accountId, w.partition, o);
      if (!e) break;
      events.push(e);
    }
    return events;
  });
  // Past what memory had, only a glance at MongoDB (another process's events after ours): a stream
  // that finds some there reads a whole window from it next time.
  const rest = windows.map((w, i) => {
    const known = fromMemory[i].length;
    const ask = w.db === 'never' || (w.db === 'if-memory-empty' && known > 0) ? 0 : known ? GLANCE : MAX_WINDOW;
    return { partition: w.partition, from: w.from + known, size: Math.min(w.size - known, ask) };
  });
  const fromDb = await readFromDb(models, accountId, rest.filter((w) => w.size > 0), now);
  return rest.map((w, i) => {
    const db = fromDb.get(w.partition);
    const events = fromMemory[i];
    if (!db) return { partition: w.partition, events, next: w.from, skipped: null, sawClaims: events.length > 0, consultedDb: false };
    return { ...db, events: [...events, ...db.events], sawClaims: db.sawClaims || events.length > 0 };
  });
}

async function readFromDb(models: Pick<Models, 'Event' | 'StreamOffsetClaim'>, accountId: string, windows: ReadWindow[], now: number): Promise<Map<number, PartitionRead>> {
  if (!windows.length) return new Map();
  const ids: string[] = [];
  for (const w of windows) for (let o = w.from; o < w.from + w.size; o++) ids.push(claimId(accountId, w.partition, o));
  const claims = await inChunks(ids, (chunk) =>
    models.StreamOffsetClaim.find({ _id: { $in: chunk } }, { offset: 1, eventId: 1, at: 1, skipped: 1, reappended: 1 }).lean<Claim[]>(),
  );
  const byId = new Map(claims.map((c) => [c._id, c]));
  const eventIds = [...new Set(claims.filter((c) => !c.skipped && c.eventId).map((c) => c.eventId!))];
  const events = await inChunks(eventIds, (chunk) => models.Event.find({ _id: { $in: chunk } }, EVENT_FIELDS).lean<LogEvent[]>());
  const eventsById = new Map(events.map((e) => [e._id, e]));
  return new Map(windows.map((w) => [w.partition, walkWindow(w, (o) => byId.get(claimId(accountId, w.partition, o)), eventsById, now)]));
}

/** One partition's window, walked as the header says (pure: the claims and events are given). */
export function walkWindow(w: ReadWindow, claimAt: (offset: number) => Claim | undefined, events: Map<string, LogEvent>, now: number): PartitionRead {
  const end = w.from + Math.min(w.size, MAX_WINDOW);
  const read: PartitionRead = { partition: w.partition, events: [], next: w.from, skipped: null, sawClaims: false, consultedDb: true };
  const gone = (from: number, to: number) => {
    read.skipped = { fromOffset: read.skipped?.fromOffset ?? from, toOffset: to };
  };
  const expired = (c: Claim) => !c.at || now - new Date(c.at).getTime() >= GAP_TIMEOUT_MS;
  let laterClaim: Claim | undefined; // the first claim after a missing offset, looked up once per gap
  for (let o = w.from; o < end; o++) {
    const claim = claimAt(o);
    if (!claim) {
      if (!laterClaim || laterClaim.offset <= o) {
        laterClaim = undefined;
        for (let k = o + 1; k < end && !laterClaim; k++) laterClaim = claimAt(k);
      }
      if (!laterClaim || !expired(laterClaim)) break; // the end of the log, or a gap that may still fill
      read.sawClaims = true;
      gone(o, laterClaim.offset - 1);
      o = laterClaim.offset - 1;
      read.next = laterClaim.offset;
      continue;
    }
    read.sawClaims = true;
    if (!claim.skipped) {
      const event = claim.eventId ? events.get(claim.eventId) : undefined;
      if (!event) {
        if (!expired(claim)) break; // its insert may still land
        gone(o, o);
      } else if (event.streamPartition === w.partition && event.streamOffset === o) {
        read.events.push(event);
      } else if (claim.reappended && event.streamOffset < o && !expired(claim)) {
        break; // moved here, its offset not updated yet
      }
    }
    read.next = o + 1;
  }
  return read;
}
