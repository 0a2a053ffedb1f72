/**
 * The version an event is posted in: the one the producer names, or the type's newest; its data is
 * checked against that version's schema. Every problem is reported, nothing is stored.
 */
import type { ValidationIssue } from '../errors';
import type { ChainLink } from './convert';
import { compileSchema, schemaIssues } from './schema-cache';

export function postedVersion(
  chain: ReadonlyArray<ChainLink & { schema?: unknown }>,
  asked: string | undefined,
  data: Record<string, unknown>,
): { version: string | null; issues: ValidationIssue[] } {
  if (chain.length === 0) {
    if (asked === undefined) return { version: null, issues: [] };
    return { version: null, issues: [{ path: 'version', message: 'this event type has no declared versions (PUT /v1/event-types/{type}/versions/{version})' }] };
  }
  const link = asked === undefined ? chain[chain.length - 1] : chain.find((l) => l.version === asked);
  if (!link) return { version: null, issues: [{ path: 'version', message: `is not a declared version of this type (declared: ${chain.map((l) => l.version).join(', ')})` }] };
  if (link.schema === undefined || link.schema === null) return { version: link.version, issues: [] };
  let issues: ValidationIssue[];
  try {
    issues = schemaIssues(compileSchema(link.schema), data);
  } catch {
    // A schema that compiled when saved compiles now; if a rule was added since, data is not checked.
    issues = [];
  }
  return { version: link.version, issues };
}
