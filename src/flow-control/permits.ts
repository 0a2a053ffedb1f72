/**
 * Claiming something once across every worker process by *inserting* a document in
 * delivery_permits: the insert is atomic on every MongoDB-compatible server through the unique
 * `_id` (a second taker gets a duplicate-key error), where a conditional update is not on the
 * embedded FerretDB 1.x. Rate permits, concurrency slots (limits.ts), the probe of an open circuit
 * and the report of a health change (endpoint-health.ts) are all taken this way.
 */
import type { Models } from '../models';
import type { DeliveryPermitDoc } from '../models/delivery-permit';
import { isDuplicateKey } from '../db';

type PermitModel = Models['DeliveryPermit'];
type NewPermit = Pick<DeliveryPermitDoc, '_id' | 'webhookId' | 'kind' | 'n'> & Partial<Pick<DeliveryPermitDoc, 'count' | 'holder' | 'until'>>;

/** Inserts the permit; false if another process holds it already. */
export async function insertPermit(DeliveryPermit: PermitModel, permit: NewPermit): Promise<boolean> {
  try {
    await DeliveryPermit.create(permit);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/**
 * insertPermit, except that a permit held past its `until` is taken over: its holder died (a
 * worker killed mid-attempt, or between a claim and the state change it was for). Of several
 * takers that saw the same expired permit, one wins by inserting a `takeover` permit named after
 * it (`<id>:takeover:<until>`) and only that one replaces it. A conditional delete
 * (`{ _id, until }`) is not enough on FerretDB 1.x: it reads, then deletes by `_id`, so a slower
 * taker could delete the permit a faster one had just inserted and insert its own beside it (two
 * holders of one slot, seen in CI). The purge removes old takeover permits (housekeeping.ts).
 */
export async function insertPermitOrTakeOver(DeliveryPermit: PermitModel, permit: NewPermit, now: Date): Promise<boolean> {
  if (await insertPermit(DeliveryPermit, permit)) return true;
  const held = await DeliveryPermit.findById(permit._id, { until: 1 }).lean();
  if (!held?.until || held.until > now) return false;
  const claim = { _id: `${permit._id}:takeover:${held.until.getTime()}`, webhookId: permit.webhookId, kind: 'takeover' as const, n: permit.n, until: held.until };
  if (!(await insertPermit(DeliveryPermit, claim))) return false;
  await DeliveryPermit.deleteOne({ _id: permit._id, until: held.until });
  return insertPermit(DeliveryPermit, permit);
}
