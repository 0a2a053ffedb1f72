/**
 * Secrets at rest (signing secrets, basic-auth passwords, variables): AES-256-GCM, a fresh random
 * 96-bit IV per value (GCM must never reuse an IV under one key), and the auth tag checked on
 * decrypt so a tampered or wrongly keyed value fails loudly instead of decrypting to garbage.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const SEALED_PREFIX = 'enc:v1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SecretBox {
  /** `enc:v1:<iv b64>:<tag b64>:<ciphertext b64>` */
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

/** Accepts 64 hex characters or base64 (or base64url) of exactly 32 bytes. Never echoes the key. */
export function parseEncryptionKey(raw: string): Buffer {
  const s = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) {
    const key = Buffer.from(s, 'base64');
    if (key.length === KEY_BYTES) return key;
  }
  throw new Error('Encryption key must be 32 bytes given as 64 hex characters or base64 (e.g. `openssl rand -base64 32`)');
}

export function generateEncryptionKey(): string {
  return crypto.randomBytes(KEY_BYTES).toString('base64');
}

export function isSealed(value: string): boolean {
  return value.startsWith(SEALED_PREFIX);
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== KEY_BYTES) throw new Error(`Encryption key must be ${KEY_BYTES} bytes, got ${key.length}`);
  const sealKey = Buffer.from(key);
  return {
    encrypt(plain) {
      const iv = crypto.randomBytes(IV_BYTES);
      const cipher = crypto.createCipheriv('aes-256-gcm', sealKey, iv);
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${SEALED_PREFIX}${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${ciphertext.toString('base64')}`;
    },
    decrypt(sealed) {
      const parts = isSealed(sealed) ? sealed.slice(SEALED_PREFIX.length).split(':') : [];
      if (parts.length !== 3) throw new Error('Not an encrypted secret (expected enc:v1:<iv>:<tag>:<ciphertext>)');
      const [iv, tag, ciphertext] = parts.map((p) => Buffer.from(p, 'base64'));
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('Malformed encrypted secret');
      const decipher = crypto.createDecipheriv('aes-256-gcm', sealKey, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('Cannot decrypt secret: wrong encryption key or tampered value');
      }
    },
  };
}

/**
 * Reads a key file, or creates it (parent dirs 0700, file 0600) with `generate()` when absent.
 * The key is written to a temp file and hard-linked into place, which is atomic and fails if the
 * file exists: two processes starting at once agree on one key and never read a half-written one.
 */
export function loadOrCreateKeyFile(file: string, generate: () => string = generateEncryptionKey): string {
  const existing = readIfExists(file);
  if (existing !== null) return existing;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, `${generate()}\n`, { mode: 0o600, flag: 'wx' });
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

function readIfExists(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export function hmacSha256Hex(key: string | Buffer, data: string): string {
  return crypto.createHmac('sha256', key).update(data).digest('hex');
}

/**
 * Constant-time string equality for API keys and URL signatures. Both sides are hashed first so
 * the comparison always runs over 32 bytes and a length mismatch takes the same path.
 */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const da = crypto.createHash('sha256').update(a, 'utf8').digest();
  const db = crypto.createHash('sha256').update(b, 'utf8').digest();
  return crypto.timingSafeEqual(da, db);
}
