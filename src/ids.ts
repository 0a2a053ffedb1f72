/**
 * Opaque IDs with a type prefix (`wh_`, `evt_`, `ntf_`, `src_`). The part after the prefix starts
 * with the creation time in base36, so IDs sort by creation time: cursor pagination is then a plain
 * `_id < cursor` range scan on the primary index.
 */
import { randomBytes } from 'node:crypto';

export type IdPrefix = 'wh' | 'evt' | 'ntf' | 'src' | 'job' | 'sub' | 'stm';

export function newId(prefix: IdPrefix, now = Date.now()): string {
  return `${prefix}_${now.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}
