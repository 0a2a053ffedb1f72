/**
 * Cursor pagination over time-ordered IDs (see src/ids.ts): newest first, the cursor is the last
 * ID of the previous page, so each page is an index range scan whatever the depth.
 */
import { z } from 'zod';

export const pageQuery = z.object({
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
  cursor: z.string().regex(/^[a-z]+_[0-9a-z]+$/, 'must be a cursor returned by a previous page').optional(),
});

export function page<T extends { _id: string }>(docs: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = docs.slice(0, limit);
  return { items, nextCursor: docs.length > limit ? items[items.length - 1]._id : null };
}

/** Adds the cursor condition to a filter (IDs descending). */
export function afterCursor(filter: Record<string, unknown>, cursor?: string): Record<string, unknown> {
  return cursor ? { ...filter, _id: { $lt: cursor } } : filter;
}
