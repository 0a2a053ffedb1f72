/**
 * loadSecrets: what the embedded stack generates under the data dir (API key and encryption key,
 * mode 0600, stable across restarts), and the inbound URL key derived from the encryption key.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { generateEncryptionKey } from '../../src/crypto/secrets';
import { loadSecrets } from '../../src/runtime';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-secrets-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const mode = (file: string) => fs.statSync(file).mode & 0o777;

test('without configured keys: API key and encryption key files are generated 0600 and reused on restart', () => {
  const dataDir = path.join(dir, 'data');
  const first = loadSecrets(loadConfig({ HERALD_DATA_DIR: dataDir }));
  expect(first.generatedApiKey).toBe(true);
  expect(first.apiKeys).toEqual([expect.stringMatching(/^hk_[A-Za-z0-9_-]{32}$/)]);
  expect(mode(path.join(dataDir, 'api-key'))).toBe(0o600);
  expect(mode(path.join(dataDir, 'encryption.key'))).toBe(0o600);
  expect(mode(dataDir)).toBe(0o700);

  const again = loadSecrets(loadConfig({ HERALD_DATA_DIR: dataDir }));
  expect(again.apiKeys).toEqual(first.apiKeys);
  const sealed = first.secretBox.encrypt('whsec_x');
  expect(again.secretBox.decrypt(sealed)).toBe('whsec_x');
  expect(again.urlSigningKey.equals(first.urlSigningKey)).toBe(true);
  expect(first.urlSigningKey).toHaveLength(32);
});

test('an existing data directory with a wider mode is made 0700 when keys are kept in it', () => {
  const dataDir = path.join(dir, 'old');
  fs.mkdirSync(dataDir, { mode: 0o755 });
  fs.chmodSync(dataDir, 0o755);
  loadSecrets(loadConfig({ HERALD_DATA_DIR: dataDir }));
  expect(mode(dataDir)).toBe(0o700);
});

test('with HERALD_API_KEYS and HERALD_ENCRYPTION_KEY: nothing is written, and the URL key follows the encryption key', () => {
  const key = generateEncryptionKey();
  const env = { HERALD_DATA_DIR: dir, HERALD_API_KEYS: 'configured-key-0123456789', HERALD_ENCRYPTION_KEY: key };
  const a = loadSecrets(loadConfig(env));
  expect(a).toMatchObject({ apiKeys: ['configured-key-0123456789'], generatedApiKey: false });
  expect(fs.readdirSync(dir)).toEqual([]);
  expect(loadSecrets(loadConfig(env)).urlSigningKey.equals(a.urlSigningKey)).toBe(true);
  const other = loadSecrets(loadConfig({ ...env, HERALD_ENCRYPTION_KEY: generateEncryptionKey() }));
  expect(other.urlSigningKey.equals(a.urlSigningKey)).toBe(false);
  // The URL key is derived, not the encryption key itself.
  expect(a.urlSigningKey.equals(Buffer.from(key, 'base64'))).toBe(false);
});
