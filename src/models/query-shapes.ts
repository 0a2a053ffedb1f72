/**
 * Every query shape Herald sends to MongoDB, each with the index that serves it. A shape is the
 * filter's keys (with example values), the sort and the limit, as the code sends them; the account
 * scope (src/models/account-scoped.ts) adds `accountId` to every tenant query, so tenant indexes
 * lead with it. Three readers keep this list honest:
 * - test/integration/query-shapes.test.ts asks the embedded store's `explain` for each shape and
 *   fails on a scan, on an in-memory sort of a limited list, or on another index than the one named;
 * - the list endpoints build their queries from the shapes they serve (src/history/) and refuse the
 *   filter combinations no shape serves;
 * - docs/indexes.md is generated from it (`npx tsx scripts/query-shapes-doc.ts`): the index set for
 *   MongoDB in production.
 *
 * A path that is fast on an empty store and linear in the history is a bug: a new query gets a
 * shape here, or it does not ship.
 */
import type { Models } from './index';
import { HISTORY_SHAPES } from './query-shapes/history';
import { CONFIG_SHAPES } from './query-shapes/config';
import { BACKGROUND_SHAPES } from './query-shapes/background';
import { STREAM_SHAPES } from './query-shapes/stream';
import { RETENTION_SHAPES } from './query-shapes/retention';
import { STATS_SHAPES } from './query-shapes/stats';

export type IndexKeys = Record<string, 1 | -1>;

export interface QueryShape {
  /** A stable name: `<collection>.<purpose>`. */
  name: string;
  model: keyof Models;
  /** What sends it (a file, for the reader). */
  usedBy: string;
  /** The filter as the code sends it, with example values, before the account scope adds `accountId`. */
  filter: Record<string, unknown>;
  sort?: IndexKeys;
  limit?: number;
  /** Across accounts (`acrossAccounts`): the filter has no `accountId`. */
  acrossAccounts?: boolean;
  /** The index that serves it, as declared on the model's schema; `{ _id: 1 }` is the primary index. */
  index: IndexKeys;
  /**
   * A condition checked on the documents read rather than in the index (the embedded store's
   * planner leaves it in memory, e.g. `deletedAt: null`), and why that stays bounded: the sort is
   * still the index's order, so the read stops at the limit, but the limit is not pushed down.
   */
  inMemory?: string;
}

/** Every shape, by area: add a file under query-shapes/ and list it here. */
export const QUERY_SHAPES: readonly QueryShape[] = [...HISTORY_SHAPES, ...CONFIG_SHAPES, ...BACKGROUND_SHAPES, ...STREAM_SHAPES, ...RETENTION_SHAPES, ...STATS_SHAPES];

/** The shape of a name; throws for a name that is not registered (a typo in code is a test failure). */
export function queryShape(name: string): QueryShape {
  const shape = QUERY_SHAPES.find((s) => s.name === name);
  if (!shape) throw new Error(`no query shape named ${name}`);
  return shape;
}

/** The name an index gets by default (MongoDB's and FerretDB's rule): `accountId_1_status_1__id_-1`. */
export function indexName(keys: IndexKeys): string {
  return Object.entries(keys)
    .map(([k, v]) => `${k}_${v}`)
    .join('_');
}
