/**
 * The delivery rollups of this process: counts kept in memory where the work happens (an attempt
 * recorded, a notification created or its status changed) and flushed every few seconds as new
 * documents, one per account and minute that has counts (src/models/delivery-rollup.ts). Recording
 * costs no MongoDB round trip; the flush is one insertMany for everything since the last one.
 *
 * What a stop or a crash can lose: `close()` (worker shutdown, database close) flushes, so a clean
 * stop loses nothing. A crash loses what was counted since the last flush (at most FLUSH_MS of this
 * process's deliveries); the notifications themselves are intact, so the rollups are then
 * approximate by that much. A flush whose insert fails is retried with the same `_id`s, so a flush
 * that reached MongoDB before its answer was lost is not counted twice.
 *
 * One recorder per set of models (one per process, or per test Herald): the API's fan-out and the
 * worker's attempts in one process share it, and the stats routes add its unflushed counts.
 */
import { randomBytes } from 'node:crypto';
import type { Models } from '../models';
import { acrossAccounts, currentScope, DEFAULT_ACCOUNT } from '../accounts/scope';
import { isDuplicateKey } from '../db';
import type { NotificationStatus } from '../models/notification';
import type { DeliveryRollupDoc } from '../models/delivery-rollup';
import { ROLLUP_LEVELS } from '../models/delivery-rollup';
import { addAttempt, addStatus, emptyTally, idTime, keyTime, minuteKey, packTallies, type Outcome, type Tally } from './tally';
import { compactAccount } from './compaction';

/** How often counts are written. */
export const FLUSH_MS = 5_000;
/** How often this process compacts the accounts it wrote rollups for (src/stats/compaction.ts). */
export const COMPACT_MS = 30_000;
/** An account is compacted by this process while it wrote for it within this long. */
const COMPACT_ACCOUNTS_FOR_MS = 26 * 3_600_000;

type MinuteTallies = Map<string, Map<string, Tally>>; // minuteKey → webhookId → tally

export interface RollupRecorder {
  /** An attempt finished (counted in its finish minute, in the current account). */
  attempt(webhookId: string, a: { ok: boolean; error?: { kind: string }; durationMs: number; finishedAt: Date }): void;
  /** A notification was created with `status` (`from` null) or changed from `from` to `to`. */
  status(webhookId: string, notificationId: string, from: NotificationStatus | null, to: NotificationStatus): void;
  /** Counts not yet written, of one account: minuteKey → webhookId → tally. */
  unflushed(accountId: string): MinuteTallies;
  /** Resolves when the flush under way (if any) has ended. */
  settled(): Promise<void>;
  flush(): Promise<void>;
  /** Compacts the accounts this process wrote for (normally on a timer). */
  compact(now?: Date): Promise<void>;
  /** Flushes and stops the timers; later counts start them again. */
  close(): Promise<void>;
}

const recorders = new WeakMap<Models, RollupRecorder>();

/** This process's recorder for these models. */
export function rollupsOf(models: Models): RollupRecorder {
  let r = recorders.get(models);
  if (!r) {
    r = createRecorder(models);
    recorders.set(models, r);
  }
  return r;
}

/** The recorder if one was made (closing a database flushes only what exists). */
export function existingRollups(models: Models): RollupRecorder | undefined {
  return recorders.get(models);
}

function scopeAccount(): string {
  const scope = currentScope();
  return 'accountId' in scope ? scope.accountId : DEFAULT_ACCOUNT;
}

export function createRecorder(models: Models, opts: { flushMs?: number; compactMs?: number; onError?: (err: unknown) => void } = {}): RollupRecorder {
  const writerId = randomBytes(4).toString('hex');
  let seq = 0;
  let counts = new Map<string, MinuteTallies>(); // accountId → minutes
  /** Documents of a failed flush, retried as they are (same ids). */
  let unsent: DeliveryRollupDoc[] = [];
  let inFlight: Promise<void> | null = null;
  let timers: NodeJS.Timeout[] = [];
  const written = new Map<string, number>(); // accountId → last flush time
  const onError = opts.onError ?? (() => {});

  const tallyFor = (accountId: string, minute: string, webhookId: string): Tally => {
    let minutes = counts.get(accountId);
    if (!minutes) counts.set(accountId, (minutes = new Map()));
    let hooks = minutes.get(minute);
    if (!hooks) minutes.set(minute, (hooks = new Map()));
    let t = hooks.get(webhookId);
    if (!t) hooks.set(webhookId, (t = emptyTally()));
    start();
    return t;
  };

  function start(): void {
    if (timers.length) return;
    const flushTimer = setInterval(() => void recorder.flush().catch(onError), opts.flushMs ?? FLUSH_MS);
    const compactTimer = setInterval(() => void recorder.compact().catch(onError), opts.compactMs ?? COMPACT_MS);
    flushTimer.unref();
    compactTimer.unref();
    timers = [flushTimer, compactTimer];
  }

  async function write(): Promise<void> {
    const taken = counts;
    counts = new Map();
    const docs = unsent;
    unsent = [];
    for (const [accountId, minutes] of taken) {
      for (const [minute, hooks] of minutes) {
        docs.push({
          _id: `${accountId}|${minute}|${writerId}|${(seq++).toString(36).padStart(6, '0')}`,
          accountId,
          level: ROLLUP_LEVELS.flush,
          at: new Date(keyTime(minute)),
          w: packTallies(hooks),
        } as DeliveryRollupDoc);
      }
      written.set(accountId, Date.now());
    }
    if (!docs.length) return;
    try {
      await acrossAccounts(() => models.DeliveryRollup.insertMany(docs, { ordered: false }));
    } catch (err) {
      const { writeErrors } = err as { writeErrors?: Array<{ code?: number; index?: number; err?: { code?: number; index?: number } }> };
      if (Array.isArray(writeErrors) && writeErrors.length > 0 && writeErrors.every((e) => isDuplicateKey(e) || isDuplicateKey(e.err))) return;
      if (!Array.isArray(writeErrors) && isDuplicateKey(err)) return;
      // Unknown which reached MongoDB: all are retried with their ids (duplicates are refused then).
      unsent = docs.concat(unsent);
      throw err;
    }
  }

  const recorder: RollupRecorder = {
    attempt(webhookId, a) {
      const outcome = (a.ok ? 'success' : (a.error?.kind ?? 'http_status')) as Outcome;
      addAttempt(tallyFor(scopeAccount(), minuteKey(a.finishedAt.getTime()), webhookId), outcome, a.durationMs);
    },
    status(webhookId, notificationId, from, to) {
      if (from === to) return;
      // In the notification's creation minute (its id's time), so the sums are "created then, now in status X".
      const minute = minuteKey(idTime(notificationId) ?? Date.now());
      const t = tallyFor(scopeAccount(), minute, webhookId);
      if (from) addStatus(t, from, -1);
      addStatus(t, to, 1);
    },
    unflushed(accountId) {
      return counts.get(accountId) ?? new Map();
    },
    async settled() {
      await inFlight?.catch(() => {});
    },
    flush() {
      // One flush at a time; a flush asked while one runs writes after it.
      const run = (inFlight ?? Promise.resolve()).catch(() => {}).then(write);
      inFlight = run;
      return run.finally(() => {
        if (inFlight === run) inFlight = null;
      });
    },
    async compact(now = new Date()) {
      for (const [accountId, at] of written) {
        if (now.getTime() - at > COMPACT_ACCOUNTS_FOR_MS) {
          written.delete(accountId);
          continue;
        }
        await compactAccount(models.DeliveryRollup, accountId, now);
      }
    },
    async close() {
      for (const t of timers) clearInterval(t);
      timers = [];
      await recorder.flush();
      // Counted during that flush (or left by a failed one): one more try.
      if (counts.size || unsent.length) await recorder.flush();
    },
  };
  return recorder;
}
