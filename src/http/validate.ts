/** Request validation with zod: every bad field reported at once, as `details`. */
import type { z } from 'zod';
import { issuesFromZod, validationError } from '../errors';

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw validationError(issuesFromZod(result.error.issues));
  return result.data;
}

export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const result = schema.safeParse(query ?? {});
  if (!result.success) throw validationError(issuesFromZod(result.error.issues), 'Invalid query parameters');
  return result.data;
}
