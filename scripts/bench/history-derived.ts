/**
 * The history bench's copies (scripts/bench/history-size.ts) in the collections Herald derives from
 * events and notifications, filled as Herald would have filled them had it made the copies itself.
 * A new derived collection is one more entry of `derivedFillers`: `add` sees every batch of copies
 * (already written to events and notifications), `finish` runs once a size is reached.
 */
import type { Models } from '../../src/models';
import { ROLLUP_LEVELS, type DeliveryRollupDoc } from '../../src/models/delivery-rollup';
import { addAttempt, addStatus, emptyTally, hourKey, HOUR_MS, keyTime, minuteKey, packTallies, type Outcome, type Tally } from '../../src/stats/tally';
import type { NotificationStatus } from '../../src/models/notification';
import { entityLinks } from '../../src/models/entity-link';

type Doc = Record<string, any>;

export interface CopiedBatch {
  events: Doc[];
  notifications: Doc[];
}

export interface DerivedFiller {
  name: string;
  add(batch: CopiedBatch): Promise<void>;
  finish(): Promise<void>;
}

export function derivedFillers(models: Models): DerivedFiller[] {
  return [entityLinkFiller(models), deliveryRollups(models)];
}

/** Entity links (src/models/entity-link.ts): the event's and each of its notifications', at the event's time, as the fan-out writes them. */
function entityLinkFiller(models: Models): DerivedFiller {
  return {
    name: 'entitylinks',
    async add(batch) {
      const events = new Map(batch.events.map((e) => [e._id as string, e]));
      const links: Doc[] = [];
      for (const e of batch.events) links.push(...entityLinks('evt', e._id, e.createdAt, e.entityIds).map((l) => ({ ...l, accountId: e.accountId })));
      for (const n of batch.notifications) {
        const e = events.get(n.eventId);
        links.push(...entityLinks('ntf', n._id, e?.createdAt ?? n.createdAt, n.entityIds).map((l) => ({ ...l, accountId: n.accountId })));
      }
      if (links.length) await models.EntityLink.collection.insertMany(links, { ordered: false });
    },
    async finish() {},
  };
}

/**
 * Delivery rollups (src/stats/): each copy's status counted in its creation minute, each of its
 * attempts by outcome and latency in the minute it finished, written as compaction would have left
 * them: one document per account and hour for hours that ended over an hour ago, one per minute for
 * the rest. Each size adds its own documents (`~<100 + size index>`), as late counts merged by a
 * later compaction run would be.
 */
function deliveryRollups(models: Models): DerivedFiller {
  let round = 100;
  let periods = new Map<string, { accountId: string; key: string; level: number; at: number; tallies: Map<string, Tally> }>();
  const tally = (accountId: string, ms: number, webhookId: string): Tally => {
    const hourly = Math.floor(ms / HOUR_MS) * HOUR_MS + 2 * HOUR_MS <= Date.now();
    const key = hourly ? hourKey(ms) : minuteKey(ms);
    const id = `${accountId}|${key}`;
    let p = periods.get(id);
    if (!p) periods.set(id, (p = { accountId, key, level: hourly ? ROLLUP_LEVELS.hour : ROLLUP_LEVELS.minute, at: keyTime(key), tallies: new Map() }));
    let t = p.tallies.get(webhookId);
    if (!t) p.tallies.set(webhookId, (t = emptyTally()));
    return t;
  };
  return {
    name: 'delivery_rollups',
    async add(batch) {
      for (const n of batch.notifications) {
        addStatus(tally(n.accountId, (n.createdAt as Date).getTime(), n.webhookId), n.status as NotificationStatus, 1);
        for (const a of (n.attempts ?? []) as Doc[]) {
          const ok = !a.error && a.statusCode >= 200 && a.statusCode < 300;
          const outcome = (ok ? 'success' : (a.error?.kind ?? 'http_status')) as Outcome;
          addAttempt(tally(n.accountId, (a.finishedAt as Date).getTime(), n.webhookId), outcome, a.durationMs);
        }
      }
    },
    async finish() {
      const docs: Doc[] = [...periods.values()].map(
        (p): Pick<DeliveryRollupDoc, '_id' | 'accountId' | 'level' | 'at' | 'w'> => ({ _id: `${p.accountId}|${p.key}|~${round}`, accountId: p.accountId, level: p.level, at: new Date(p.at), w: packTallies(p.tallies) }),
      );
      round++;
      periods = new Map();
      // Herald's own compaction may have merged an earlier size's documents of the last 26 hours
      // into `~<n+1>` meanwhile: a taken `~n` is tried again one higher, as compaction itself does.
      let pending = docs;
      for (let tries = 0; pending.length; tries++) {
        if (tries === 50) throw new Error(`delivery rollups: ${pending.length} documents found their ~n taken 50 times`);
        const taken: Doc[] = [];
        for (let i = 0; i < pending.length; i += 1000) {
          const chunk = pending.slice(i, i + 1000);
          try {
            await models.DeliveryRollup.collection.insertMany(chunk, { ordered: false });
          } catch (err) {
            type WriteError = { code?: number; index?: number };
            const found = (err as { writeErrors?: WriteError | WriteError[] }).writeErrors;
            const writeErrors = Array.isArray(found) ? found : found ? [found] : [];
            if (!writeErrors.length || !writeErrors.every((e) => e.code === 11000)) throw err;
            for (const e of writeErrors) taken.push(chunk[e.index!]);
          }
        }
        pending = taken.map((d) => ({ ...d, _id: (d._id as string).replace(/~(\d+)$/, (_m, n: string) => `~${Number(n) + 1}`) }));
      }
    },
  };
}
