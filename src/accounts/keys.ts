/**
 * Account API keys: `hk_` + 256 random bits, stored as a SHA-256 hash (src/models/api-key.ts).
 * Admin keys (HERALD_API_KEYS, or the generated one of the embedded stack) stay in the
 * configuration and are never stored.
 */
import crypto from 'node:crypto';

export function newApiKey(): { key: string; hash: string; prefix: string } {
  const key = `hk_${crypto.randomBytes(32).toString('base64url')}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, 10) };
}

export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key, 'utf8').digest('hex');
}

export function newKeyId(): string {
  return `key_${Date.now().toString(36).padStart(9, '0')}${crypto.randomBytes(8).toString('hex')}`;
}

export function newAccountId(): string {
  return `acc_${Date.now().toString(36).padStart(9, '0')}${crypto.randomBytes(8).toString('hex')}`;
}
