/**
 * Retention for the stream log: the purge removes events past the retention (src/retention.ts) and
 * then, at the end of its events step, the offset claims past it (each account's own retention).
 * Readers below what was trimmed would see no claim at all and take it for the end of the log, so
 * each partition's floor (the lowest offset kept) is raised before its claims go, and a stream
 * below the floor resumes at it and says so (`skipped`, src/stream/streamer.ts).
 *
 * A claim is trimmed by its own time (`at`), so one taken later than a higher offset (a process
 * with a slow clock) may be below the floor and is passed; clocks of one installation do not
 * differ by anything near a retention.
 */
import type { Models } from '../models';
import { currentAccountId, inAccount } from '../accounts/scope';
import { accountCutoffs } from '../retention';

type TrimModels = Pick<Models, 'StreamOffsetClaim' | 'StreamLogFloor' | 'Account'>;

/** Claims read and trimmed per round. */
const TRIM_BATCH = 1000;

const floorId = (accountId: string, partition: number) => `${accountId}:${partition}`;

/** The floors of the current account's partitions (absent: nothing was trimmed there). */
export async function logFloors(models: Pick<Models, 'StreamLogFloor'>, partitions: number[]): Promise<Map<number, number>> {
  if (!partitions.length) return new Map();
  const accountId = currentAccountId();
  const docs = await models.StreamLogFloor.find({ _id: { $in: partitions.map((p) => floorId(accountId, p)) } }, { partition: 1, offset: 1 }).lean();
  return new Map(docs.map((d) => [d.partition, d.offset]));
}

/**
 * Trims the claims taken before each account's cutoff (its own retention, else HERALD_RETENTION's,
 * whose cutoff is `cutoff`); returns how many. Runs across accounts (the purge's activities do):
 * each account's old claims are a range of its (accountId, at) index, read a batch at a time.
 */
export async function trimStreamLog(models: TrimModels, cutoff: Date, retentionSeconds: number): Promise<number> {
  let trimmed = 0;
  for (const [accountId, own] of await accountCutoffs(models, models.StreamOffsetClaim as never, cutoff, retentionSeconds)) {
    trimmed += await inAccount(accountId, () => trimAccount(models, accountId, own));
  }
  return trimmed;
}

async function trimAccount(models: TrimModels, accountId: string, cutoff: Date): Promise<number> {
  let trimmed = 0;
  for (;;) {
    const batch = await models.StreamOffsetClaim.find({ at: { $lt: cutoff } }, { partition: 1, offset: 1 })
      .sort({ at: 1 })
      .limit(TRIM_BATCH)
      .lean<Array<{ _id: string; partition: number; offset: number }>>();
    if (batch.length === 0) return trimmed;
    const highest = new Map<string, { partition: number; offset: number }>();
    for (const c of batch) {
      const key = floorId(accountId, c.partition);
      if ((highest.get(key)?.offset ?? -1) < c.offset) highest.set(key, c);
    }
    const floors = new Map((await models.StreamLogFloor.find({ _id: { $in: [...highest.keys()] } }, { offset: 1 }).lean()).map((f) => [f._id, f.offset]));
    for (const [key, c] of highest) {
      if ((floors.get(key) ?? 0) > c.offset) continue;
      await models.StreamLogFloor.updateOne({ _id: key }, { $set: { partition: c.partition, offset: c.offset + 1 } }, { upsert: true });
    }
    trimmed += (await models.StreamOffsetClaim.deleteMany({ _id: { $in: batch.map((c) => c._id) } })).deletedCount;
    if (batch.length < TRIM_BATCH) return trimmed;
  }
}
