/**
 * The headers of one attempt: the snapshot's, with credentials filled back in, the idempotency
 * key of this delivery round, and a fresh Standard Webhooks signature (each attempt has its own
 * timestamp, so receivers can reject replays of old attempts).
 */
import type { SecretBox } from '../crypto/secrets';
import { activeSigningSecrets, signatureHeaders } from './signatures';
import { REDACTED } from '../render/snapshot';

export const IDEMPOTENCY_HEADER = 'x-notifications-idempotency-key';

export interface AttemptWebhook {
  auth?: { type?: string | null; username?: string | null; password?: string | null } | null;
  /** A static Authorization header, sealed (token auth). */
  authorizationHeader?: { value?: string | null } | null;
  idempotencyKey?: boolean | null;
  signing?: { enabled?: boolean | null; secret?: string | null; previousSecret?: string | null; previousExpiresAt?: Date | null } | null;
}

/** Resolves a stored credential (sealed value or variable reference) to its plain value. */
export type CredentialResolver = (stored: string, field: 'username' | 'password') => Promise<string>;

export async function attemptHeaders(input: {
  snapshot: { headers: Record<string, string>; body: string };
  webhook: AttemptWebhook;
  notificationId: string;
  idempotencyKey: string;
  now: Date;
  secretBox: SecretBox;
  resolveCredential: CredentialResolver;
}): Promise<Record<string, string>> {
  const { webhook, secretBox } = input;
  const headers = { ...input.snapshot.headers };
  // The snapshot holds only a redacted Authorization; the webhook's current credential replaces it
  // (so a rotated token applies to the next attempt), and none at all drops it: "[redacted]" is
  // never sent.
  if (headers.authorization?.endsWith(REDACTED)) {
    if (webhook.auth?.type === 'basic') {
      const user = await input.resolveCredential(webhook.auth.username ?? '', 'username');
      const pass = await input.resolveCredential(webhook.auth.password ?? '', 'password');
      headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    } else if (webhook.authorizationHeader?.value) {
      headers.authorization = await input.resolveCredential(webhook.authorizationHeader.value, 'password');
    } else {
      delete headers.authorization;
    }
  }
  if (webhook.idempotencyKey !== false) headers[IDEMPOTENCY_HEADER] = input.idempotencyKey;
  const signing = webhook.signing;
  if (signing?.enabled !== false && signing?.secret) {
    const previous =
      signing.previousSecret && signing.previousExpiresAt
        ? { secret: secretBox.decrypt(signing.previousSecret), expiresAt: new Date(signing.previousExpiresAt) }
        : null;
    const secrets = activeSigningSecrets(secretBox.decrypt(signing.secret), previous, input.now);
    Object.assign(headers, signatureHeaders({ id: input.notificationId, timestamp: input.now, body: input.snapshot.body, secrets }));
  }
  return headers;
}
