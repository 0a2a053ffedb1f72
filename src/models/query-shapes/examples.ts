/** Example values for query shapes (any value of the right type gives the same plan), and the shape of a read by `_id`. */
import type { QueryShape } from '../query-shapes';

const HOUR = 3_600_000;
export const X = {
  ntf: 'ntf_0m9z5k2a10000000000000000',
  evt: 'evt_0m9z5k2a10000000000000000',
  wh: 'wh_0m9z5k2a10000000000000000',
  at: new Date(Date.UTC(2026, 0, 1)),
  later: new Date(Date.UTC(2026, 0, 1) + HOUR),
};


/** A read (or write) by `_id`, with more conditions in `extra`: the primary index serves it. */
export const byId = (name: string, model: QueryShape['model'], usedBy: string, id: unknown, extra: Record<string, unknown> = {}, acrossAccounts = false): QueryShape => ({
  name,
  model,
  usedBy,
  filter: { _id: id, ...extra },
  index: { _id: 1 },
  ...(acrossAccounts ? { acrossAccounts } : {}),
});
