/**
 * Security pieces that need no stack: credential parsing and sealing, the `configuration` attempt
 * for an undefined variable, HTTPS-only (save-time rule and the connector), log redaction, and
 * prototype properties staying out of reach of URL templates.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Agent, request } from 'undici';
import { createSecretBox, generateEncryptionKey, parseEncryptionKey } from '../../src/crypto/secrets';
import {
  parseBasicAuth,
  sealCredential,
  UnknownVariableError,
  unresolvedCredentialAttempt,
  variableReference,
} from '../../src/delivery/credentials';
import { BLOCKED_DESTINATION, createGuardedConnector, httpsOnlyIssues } from '../../src/delivery/destination';
import { createLogger } from '../../src/logger';
import { renderUrl } from '../../src/render/url-template';
import { sampleContext } from '../../src/render/context';

const box = createSecretBox(parseEncryptionKey(generateEncryptionKey()));
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('credentials', () => {
  it('parses Basic authorization; the password may contain colons, malformed headers are null', () => {
    expect(parseBasicAuth(`Basic ${b64('user:pa:ss')}`)).toEqual({ username: 'user', password: 'pa:ss' });
    expect(parseBasicAuth(`basic ${b64('u:')}`)).toEqual({ username: 'u', password: '' });
    expect(parseBasicAuth(`Basic ${b64('no-colon')}`)).toBeNull();
    expect(parseBasicAuth('Bearer abc')).toBeNull();
    expect(parseBasicAuth('Basic !!!')).toBeNull();
    expect(parseBasicAuth(undefined)).toBeNull();
  });

  it('recognizes variable references, with optional spaces, and nothing else', () => {
    expect(variableReference('{{env_var[@partner].pass}}')).toEqual({ name: 'partner', field: 'pass' });
    expect(variableReference('{{ env_var[@a.b-c_1].user }}')).toEqual({ name: 'a.b-c_1', field: 'user' });
    expect(variableReference('{{env_var[@partner].token}}')).toBeNull();
    expect(variableReference('x{{env_var[@partner].pass}}')).toBeNull();
    expect(variableReference('{{env_var[@../x].pass}}')).toBeNull();
  });

  it('seals plain values (fresh ciphertext each time) and stores references as is', () => {
    const a = sealCredential('hunter2', box);
    expect(a).toMatch(/^enc:v1:/);
    expect(a).not.toContain('hunter2');
    expect(sealCredential('hunter2', box)).not.toBe(a);
    expect(box.decrypt(a)).toBe('hunter2');
    expect(sealCredential('{{env_var[@p].pass}}', box)).toBe('{{env_var[@p].pass}}');
  });

  it('turns an undefined variable into a failed attempt of kind configuration, and rethrows anything else', () => {
    const startedAt = new Date();
    const result = unresolvedCredentialAttempt(new UnknownVariableError('partner'), startedAt);
    expect(result).toMatchObject({
      ok: false,
      startedAt,
      durationMs: 0,
      error: { kind: 'configuration', message: expect.stringContaining('variable "partner"') },
    });
    const boom = new Error('Cannot decrypt secret: wrong encryption key or tampered value');
    expect(() => unresolvedCredentialAttempt(boom, startedAt)).toThrow(boom);
  });
});

describe('HTTPS-only', () => {
  it('the save-time rule accepts https and rejects http only when on', () => {
    expect(httpsOnlyIssues('https://hooks.example.com/{{event.type}}', true)).toEqual([]);
    expect(httpsOnlyIssues('HTTPS://hooks.example.com/', true)).toEqual([]);
    expect(httpsOnlyIssues('http://hooks.example.com/', true)).toEqual([{ path: 'url', message: 'must be an https URL (HERALD_HTTPS_ONLY is on)' }]);
    expect(httpsOnlyIssues('http://hooks.example.com/', false)).toEqual([]);
  });

  it('the connector refuses plain http before connecting, even where private destinations are allowed', async () => {
    let connections = 0;
    const server = http.createServer((_req, res) => res.end('ok'));
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const strict = new Agent({ connect: createGuardedConnector({ allowPrivate: true, httpsOnly: true }) });
    const lax = new Agent({ connect: createGuardedConnector({ allowPrivate: true, httpsOnly: false }) });
    try {
      await expect(request(`http://127.0.0.1:${port}/`, { dispatcher: strict })).rejects.toMatchObject({
        code: BLOCKED_DESTINATION,
        message: expect.stringContaining('HERALD_HTTPS_ONLY'),
      });
      expect(connections).toBe(0);
      const res = await request(`http://127.0.0.1:${port}/`, { dispatcher: lax });
      expect(await res.body.text()).toBe('ok');
      expect(connections).toBe(1);
    } finally {
      await Promise.all([strict.close(), lax.close()]);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('log redaction', () => {
  it('keeps passwords, secrets, authorization headers and bodies out of log lines, at any usual depth', () => {
    const lines: string[] = [];
    const log = createLogger('trace', new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) }));
    log.info({ password: 'L1-pw', secret: 'L1-secret', authorization: 'Basic L1-auth', body: 'L1-body' }, 'top');
    log.info({ auth: { password: 'L2-pw' }, variable: { pass: 'L2-pass' }, signing: { secret: 'L2-secret' }, request: { body: 'L2-body', headers: { authorization: 'Basic L2-auth' } } }, 'nested');
    log.info({ webhook: { auth: { password: 'L3-pw' }, signing: { secret: 'L3-secret' } }, notification: { request: { headers: { authorization: 'Basic L3-auth' } } } }, 'deeper');
    log.info({ req: { headers: { authorization: 'Bearer L2-key', cookie: 'L2-cookie' } }, config: { apiKey: 'L2-apikey', encryptionKey: 'L2-enc' } }, 'request');
    const text = lines.join('');
    expect(lines).toHaveLength(4);
    expect(text.match(/L\d-[a-z]+/g)).toBeNull();
    expect(text).toContain('[redacted]');
    // Everything else stays readable.
    log.info({ webhookId: 'wh_1', auth: { type: 'basic', username: 'visible-user' } }, 'context');
    expect(lines[4]).toContain('wh_1');
    expect(lines[4]).toContain('visible-user');
  });
});

describe('templates and prototypes', () => {
  it('URL templates cannot reach prototype properties', () => {
    const url = renderUrl('https://hooks.example.com/{{data.constructor}}/{{data.__proto__}}/{{data.x.constructor.name}}?q={{data.toString}}', sampleContext({ x: {} }));
    expect(url).toBe('https://hooks.example.com///?q=');
  });

  it('a "__proto__" key in event JSON is plain own data: rendered as a value, and nothing is polluted', () => {
    const ctx = sampleContext(JSON.parse('{"__proto__": {"polluted": "yes"}}'));
    expect(renderUrl('https://hooks.example.com/{{data.__proto__.polluted}}/{{data.polluted}}', ctx)).toBe('https://hooks.example.com/yes/');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
