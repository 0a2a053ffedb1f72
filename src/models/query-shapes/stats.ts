/**
 * The stats rollups' query shapes (src/stats/): an account's time range is an `_id` range (the
 * account and the minute lead the `_id`), compactions delete what they replaced by `_id`. See
 * src/models/query-shapes.ts.
 */
import type { QueryShape } from '../query-shapes';

export const STATS_SHAPES: readonly QueryShape[] = [
  {
    name: 'deliveryRollups.window',
    model: 'DeliveryRollup',
    usedBy: 'src/stats/rollup-read.ts (the overview, GET /v1/stats/*), src/stats/compaction.ts',
    filter: { _id: { $gte: 'default|202601011200', $lt: 'default|~' } },
    index: { _id: 1 },
  },
  {
    name: 'deliveryRollups.replaced',
    model: 'DeliveryRollup',
    usedBy: 'src/stats/compaction.ts (deleteMany of the documents a compaction covers)',
    filter: { _id: { $in: ['default|202601011200|w1|1', 'default|202601011200|w1|2'] } },
    index: { _id: 1 },
  },
  {
    name: 'deliveryRollups.oldLocks',
    model: 'DeliveryRollup',
    usedBy: 'src/stats/compaction.ts (deleteMany of spent compaction locks)',
    filter: { _id: { $gte: 'default|~lock|', $lt: 'default|~lock|202601011150' } },
    index: { _id: 1 },
  },
];
