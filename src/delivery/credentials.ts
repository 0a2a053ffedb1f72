/**
 * Credentials are stored sealed (AES-256-GCM) or as a variable reference such as
 * `{{env_var[@partner].pass}}`; either way they are resolved only here, at send or check time,
 * so they never appear in an API response, a snapshot or Temporal history.
 */
import { isSealed, timingSafeEqualStrings, type SecretBox } from '../crypto/secrets';
import type { Models } from '../models';
import { variableId } from '../models/variable';
import type { AttemptResult } from './send';

/** `{{env_var[@name].user}}` or `{{env_var[@name].pass}}`. */
export const VARIABLE_REF = /^\{\{\s*env_var\[@([A-Za-z0-9_.-]+)\]\.(user|pass)\s*\}\}$/;

/** What a variable name may be (the `name` in `{{env_var[@name].pass}}`). */
export const VARIABLE_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export const UNKNOWN_VARIABLE = 'HERALD_UNKNOWN_VARIABLE';

/** A credential references a variable that does not exist (deleted, or never created). */
export class UnknownVariableError extends Error {
  override readonly name = 'UnknownVariableError';
  readonly code = UNKNOWN_VARIABLE;
  constructor(readonly variable: string) {
    super(`credential references variable "${variable}", which is not defined (PUT /v1/variables/${variable})`);
  }
}

export interface CredentialDeps {
  models: Pick<Models, 'Variable'>;
  secretBox: SecretBox;
}

/** The variable a stored credential refers to, or null when it is a plain (sealed) value. */
export function variableReference(stored: string): { name: string; field: 'user' | 'pass' } | null {
  const m = VARIABLE_REF.exec(stored);
  return m ? { name: m[1], field: m[2] as 'user' | 'pass' } : null;
}

/**
 * Resolves a stored credential to its plain value: a variable reference is looked up now (so a
 * changed variable takes effect on the next attempt), a sealed value is decrypted, anything else
 * (a username stored as given) is returned as is. Throws UnknownVariableError for a missing variable.
 */
export async function resolveStoredCredential(stored: string, deps: CredentialDeps): Promise<string> {
  if (!stored) return '';
  const ref = variableReference(stored);
  if (ref) {
    const variable = await deps.models.Variable.findById(variableId(ref.name), { user: 1, pass: 1 }).lean();
    if (!variable) throw new UnknownVariableError(ref.name);
    return deps.secretBox.decrypt(ref.field === 'user' ? variable.user : variable.pass);
  }
  return isSealed(stored) ? deps.secretBox.decrypt(stored) : stored;
}

/** A variable reference is stored as is (resolved at send time); anything else is sealed. */
export function sealCredential(value: string, secretBox: SecretBox): string {
  return VARIABLE_REF.test(value) ? value : secretBox.encrypt(value);
}

/**
 * A send whose credentials cannot be resolved is a failed attempt (kind `configuration`), not an
 * infrastructure error: nothing is sent (never without the credentials), the attempt is recorded
 * with the reason, and the normal retry schedule applies, so defining the variable heals the
 * notification on its next retry. Any other error is rethrown.
 */
export function unresolvedCredentialAttempt(err: unknown, startedAt: Date): AttemptResult {
  if ((err as { code?: string })?.code !== UNKNOWN_VARIABLE) throw err;
  return {
    ok: false,
    startedAt,
    finishedAt: new Date(),
    durationMs: 0,
    error: { kind: 'configuration', message: (err as Error).message },
  };
}

/**
 * Checks an inbound `Authorization: Basic …` header against stored credentials (sealed, plain or
 * variable references). Both halves are compared in constant time, always both, so the timing
 * says nothing about which one was wrong. Throws UnknownVariableError when a referenced variable
 * is gone (the caller denies access and logs it for the operator).
 */
export async function checkBasicAuth(
  header: string | undefined,
  stored: { username: string; password: string },
  deps: CredentialDeps,
): Promise<boolean> {
  const [username, password] = await Promise.all([resolveStoredCredential(stored.username, deps), resolveStoredCredential(stored.password, deps)]);
  const presented = parseBasicAuth(header);
  const userOk = timingSafeEqualStrings(presented?.username ?? '', username);
  const passOk = timingSafeEqualStrings(presented?.password ?? '', password);
  return presented !== null && userOk && passOk;
}

/** `Basic base64(user:pass)`; the password may contain colons, the username may not (RFC 7617). */
export function parseBasicAuth(header: string | undefined): { username: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
