/**
 * The notifications this process's fan-out has just stored, handed to this process's first
 * attempt, so the attempt does not read back what was written a few milliseconds earlier. With
 * `npm start` the API and the worker share one process (and the start is eager: the first workflow
 * task runs here), so every first attempt of an event accepted here used to cost one MongoDB read
 * of the notification; now it costs none.
 *
 * Why this is exact, not a cache that can go stale:
 * - Only documents this process inserted go in (an insert that met an existing one, as a redone
 *   fan-out does, hands nothing over: the stored document is the first one, not ours).
 * - An entry is taken once (removed when read): a retry of the first attempt, a later attempt or a
 *   resend reads MongoDB as before.
 * - Between the insert and the first attempt nothing else writes the notification: the workflow
 *   starts after the insert and its first step is this attempt. What can still change around it
 *   is checked where it always was: the webhook and the communications switch from the
 *   configuration view, and a race with another attempt by recordAttempt's pre-update document.
 *
 * Only a process that runs both roles creates one (src/main.ts, the bench, the test Herald); an API
 * process alone has no first attempts to hand to, a worker alone nothing handed. Entries nobody
 * takes (the workflow task went to another process's worker) expire; the memory is bounded by
 * count and by snapshot bytes.
 */
import { LRUCache } from 'lru-cache';
import type { LoadedNotification } from '../models/notification';

const MAX_ENTRIES = 10_000;
/** Snapshot bytes held at most (a body may be large: bounded by HERALD_MAX_PAYLOAD_BYTES each). */
const MAX_BYTES = 64 * 2 ** 20;
/** Longer than a first attempt waits under a backlog here (the bench's closed loop: about 20 s). */
const MAX_AGE_MS = 60_000;

export interface NotificationHandoff {
  /** Hands over notifications this process has just inserted, exactly as stored. */
  give(accountId: string, notifications: readonly LoadedNotification[]): void;
  /** The notification as inserted here, once; undefined when not handed over (read MongoDB). */
  take(accountId: string, notificationId: string): LoadedNotification | undefined;
  /** Entries held now (for tests and metrics). */
  readonly size: number;
}

export function createNotificationHandoff(opts: { maxEntries?: number; maxBytes?: number; maxAgeMs?: number; now?: () => number } = {}): NotificationHandoff {
  const entries = new LRUCache<string, LoadedNotification>({
    max: opts.maxEntries ?? MAX_ENTRIES,
    maxSize: opts.maxBytes ?? MAX_BYTES,
    sizeCalculation: snapshotBytes,
    ttl: opts.maxAgeMs ?? MAX_AGE_MS,
    // Ages read from the clock on every get (no cached "now"), so an injected clock is obeyed at once.
    ttlResolution: 0,
    ...(opts.now ? { perf: { now: opts.now } } : {}),
  });
  const key = (accountId: string, id: string) => `${accountId}\n${id}`;
  return {
    give(accountId, notifications) {
      for (const n of notifications) entries.set(key(accountId, n._id), n);
    },
    take(accountId, notificationId) {
      const k = key(accountId, notificationId);
      const n = entries.get(k);
      if (n) entries.delete(k);
      return n;
    },
    get size() {
      return entries.size;
    },
  };
}

/** About what an entry holds: the snapshot's strings, plus a fixed amount for the rest. */
function snapshotBytes(n: LoadedNotification): number {
  const r = n.request;
  if (!r) return 256;
  let bytes = 256 + r.url.length + r.body.length;
  for (const [name, value] of Object.entries((r.headers ?? {}) as Record<string, unknown>)) bytes += name.length + String(value).length;
  return bytes;
}
