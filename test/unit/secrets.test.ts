import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createSecretBox,
  generateEncryptionKey,
  hmacSha256Hex,
  isSealed,
  loadOrCreateKeyFile,
  parseEncryptionKey,
  timingSafeEqualStrings,
} from '../../src/crypto/secrets';

describe('parseEncryptionKey', () => {
  const bytes = crypto.randomBytes(32);

  it('accepts 64 hex characters and base64 / base64url of 32 bytes', () => {
    expect(parseEncryptionKey(bytes.toString('hex'))).toEqual(bytes);
    expect(parseEncryptionKey(bytes.toString('hex').toUpperCase())).toEqual(bytes);
    expect(parseEncryptionKey(bytes.toString('base64'))).toEqual(bytes);
    expect(parseEncryptionKey(bytes.toString('base64url'))).toEqual(bytes);
    expect(parseEncryptionKey(` ${bytes.toString('base64')}\n`)).toEqual(bytes);
    expect(parseEncryptionKey(generateEncryptionKey())).toHaveLength(32);
  });

  it.each(['', 'short', crypto.randomBytes(16).toString('hex'), crypto.randomBytes(31).toString('base64'), 'z'.repeat(64)])(
    'rejects %p with a clear message that does not echo the key',
    (raw) => {
      expect(() => parseEncryptionKey(raw)).toThrow(/64 hex characters or base64/);
      if (raw.length > 5) expect(() => parseEncryptionKey(raw)).not.toThrow(raw);
    },
  );
});

describe('createSecretBox', () => {
  const box = createSecretBox(crypto.randomBytes(32));

  it('round-trips, including unicode and empty strings', () => {
    for (const plain of ['whsec_abc', 'pässwörd 🔑', '']) expect(box.decrypt(box.encrypt(plain))).toBe(plain);
  });

  it('writes the compact enc:v1 format with a fresh 12-byte IV and 16-byte tag each time', () => {
    const a = box.encrypt('same');
    const b = box.encrypt('same');
    expect(a).not.toBe(b);
    expect(isSealed(a)).toBe(true);
    const [, , iv, tag, ct] = a.split(':');
    expect(a).toMatch(/^enc:v1:[^:]+:[^:]+:[^:]+$/);
    expect(Buffer.from(iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(tag, 'base64')).toHaveLength(16);
    expect(Buffer.from(ct, 'base64')).toHaveLength(4);
    expect(a).not.toContain('same');
  });

  it('fails on tampered ciphertext, tag or IV', () => {
    const [p1, p2, iv, tag, ct] = box.encrypt('top secret').split(':');
    const flip = (b64: string) => {
      const buf = Buffer.from(b64, 'base64');
      buf[0] ^= 1;
      return buf.toString('base64');
    };
    expect(() => box.decrypt([p1, p2, iv, tag, flip(ct)].join(':'))).toThrow(/wrong encryption key or tampered/);
    expect(() => box.decrypt([p1, p2, iv, flip(tag), ct].join(':'))).toThrow(/wrong encryption key or tampered/);
    expect(() => box.decrypt([p1, p2, flip(iv), tag, ct].join(':'))).toThrow(/wrong encryption key or tampered/);
  });

  it('fails with the wrong key', () => {
    const other = createSecretBox(crypto.randomBytes(32));
    expect(() => other.decrypt(box.encrypt('top secret'))).toThrow(/wrong encryption key or tampered/);
  });

  it('rejects values that are not sealed, or malformed, and keys of the wrong size', () => {
    expect(() => box.decrypt('plain text')).toThrow(/Not an encrypted secret/);
    expect(() => box.decrypt('enc:v1:AAAA:BBBB')).toThrow(/Not an encrypted secret/);
    expect(() => box.decrypt('enc:v1:AAAA:BBBB:CCCC')).toThrow(/Malformed/);
    expect(() => createSecretBox(crypto.randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('loadOrCreateKeyFile', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-key-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates the parent directory and a 0600 key file, then returns the same key on later calls', () => {
    const file = path.join(dir, 'nested', 'data', 'encryption.key');
    const key = loadOrCreateKeyFile(file);
    expect(parseEncryptionKey(key)).toHaveLength(32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(key);
    expect(loadOrCreateKeyFile(file)).toBe(key);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['encryption.key']);
  });

  it('returns an existing file as is, without overwriting it', () => {
    const file = path.join(dir, 'api.key');
    fs.writeFileSync(file, 'existing-key\n');
    expect(loadOrCreateKeyFile(file)).toBe('existing-key');
    expect(fs.readFileSync(file, 'utf8')).toBe('existing-key\n');
  });

  it('uses the given generator (e.g. for API keys)', () => {
    expect(loadOrCreateKeyFile(path.join(dir, 'api.key'), () => 'hk_generated')).toBe('hk_generated');
  });
});

describe('hmacSha256Hex and timingSafeEqualStrings', () => {
  it('computes RFC 4231 test case 2', () => {
    expect(hmacSha256Hex('Jefe', 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('compares strings of any length', () => {
    expect(timingSafeEqualStrings('key-1', 'key-1')).toBe(true);
    expect(timingSafeEqualStrings('key-1', 'key-2')).toBe(false);
    expect(timingSafeEqualStrings('key-1', 'key-1-longer')).toBe(false);
    expect(timingSafeEqualStrings('', '')).toBe(true);
    expect(timingSafeEqualStrings('', 'x')).toBe(false);
  });
});
