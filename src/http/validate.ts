/** Request validation with zod: every bad field reported at once, as `details`. */
import type { z } from 'zod';
import { issuesFromZod, validationError, type ValidationIssue } from '../errors';

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw validationError(issuesFromZod(result.error.issues));
  return result.data;
}

/**
 * Query (and path) parameters. A parameter the route does not know is a 400 naming it, never
 * silently ignored: `?statsu=failed` answering with the whole history is a wrong answer nobody
 * notices. Reported together with every other problem.
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const input = (query ?? {}) as Record<string, unknown>;
  const allowed = objectKeys(schema);
  const unknown = allowed ? Object.keys(input).filter((k) => !allowed.includes(k)) : [];
  const result = schema.safeParse(input);
  const issues: ValidationIssue[] = unknown.map((k) => ({
    path: k,
    message: `unknown query parameter${allowed!.length ? ` (this route takes ${allowed!.join(', ')})` : ' (this route takes none)'}`,
  }));
  if (!result.success) {
    // A .strict() schema reports the same keys again, without naming them one by one.
    issues.push(...issuesFromZod(result.error.issues.filter((i) => !(unknown.length && i.code === 'unrecognized_keys'))));
  }
  if (issues.length > 0) {
    throw validationError(issues, unknown.length ? `Unknown query parameter(s): ${unknown.join(', ')}` : 'Invalid query parameters');
  }
  return (result as { data: z.output<S> }).data;
}

/** The keys an object schema declares (null for other schemas, which are then not checked). */
function objectKeys(schema: z.ZodType): string[] | null {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape && typeof shape === 'object' ? Object.keys(shape) : null;
}
