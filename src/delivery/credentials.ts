/**
 * Credentials are stored sealed (AES-256-GCM) or as a variable reference such as
 * `{{env_var[@partner].pass}}`; either way they are resolved only here, at send or check time,
 * so they never appear in an API response, a snapshot or Temporal history.
 */
import type { SecretBox } from '../crypto/secrets';
import type { Models } from '../models';

export async function resolveStoredCredential(stored: string, deps: { models: Models; secretBox: SecretBox }): Promise<string> {
  if (!stored) return '';
  return stored.startsWith('enc:') ? deps.secretBox.decrypt(stored) : stored;
}

/** A variable reference is stored as is (resolved at send time); anything else is sealed. */
export function sealCredential(value: string, secretBox: SecretBox): string {
  return VARIABLE_REF.test(value) ? value : secretBox.encrypt(value);
}

/** `{{env_var[@name].user}}` or `{{env_var[@name].pass}}`. */
export const VARIABLE_REF = /^\{\{\s*env_var\[@([A-Za-z0-9_.-]+)\]\.(user|pass)\s*\}\}$/;
