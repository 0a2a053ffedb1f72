import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { activeSigningSecrets, generateSecret, signatureHeaders } from '../../src/delivery/signatures';

// The verifier is the reference `standardwebhooks` package, not our code.
const verify = (secret: string, body: string, headers: Record<string, string>) => new Webhook(secret).verify(body, headers, { jsonParse: false });

describe('generateSecret', () => {
  it('is whsec_ + base64 of 32 random bytes, accepted by the reference library', () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
    expect(generateSecret()).not.toBe(a);
    expect(() => new Webhook(a)).not.toThrow();
  });
});

describe('signatureHeaders', () => {
  const body = JSON.stringify({ type: 'loan.disbursed', data: { amount: 1200, note: 'zażółć 🎉' } });
  const now = new Date();

  it('produces headers the standardwebhooks verifier accepts', () => {
    const secret = generateSecret();
    const headers = signatureHeaders({ id: 'ntf_1', timestamp: now, body, secrets: [secret] });
    expect(headers['webhook-id']).toBe('ntf_1');
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(now.getTime() / 1000)));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(() => verify(secret, body, { ...headers })).not.toThrow();
  });

  it('matches the reference Webhook.sign byte for byte (string and Buffer bodies)', () => {
    const secret = generateSecret();
    const expected = new Webhook(secret).sign('ntf_2', now, body);
    expect(signatureHeaders({ id: 'ntf_2', timestamp: now, body, secrets: [secret] })['webhook-signature']).toBe(expected);
    expect(signatureHeaders({ id: 'ntf_2', timestamp: now, body: Buffer.from(body), secrets: [secret] })['webhook-signature']).toBe(expected);
  });

  it('signs with both secrets during a rotation, and each verifies on its own', () => {
    const [current, previous] = [generateSecret(), generateSecret()];
    const headers = signatureHeaders({ id: 'ntf_3', timestamp: now, body, secrets: [current, previous] });
    const parts = headers['webhook-signature'].split(' ');
    expect(parts).toHaveLength(2);
    expect(parts.every((p) => p.startsWith('v1,'))).toBe(true);
    expect(() => verify(current, body, { ...headers })).not.toThrow();
    expect(() => verify(previous, body, { ...headers })).not.toThrow();
    expect(() => verify(generateSecret(), body, { ...headers })).toThrow(WebhookVerificationError);
  });

  it('fails verification for a tampered body, id or timestamp', () => {
    const secret = generateSecret();
    const headers = signatureHeaders({ id: 'ntf_4', timestamp: now, body, secrets: [secret] });
    expect(() => verify(secret, body.replace('1200', '9200'), { ...headers })).toThrow(WebhookVerificationError);
    expect(() => verify(secret, body, { ...headers, 'webhook-id': 'ntf_5' })).toThrow(WebhookVerificationError);
    expect(() => verify(secret, body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) })).toThrow(WebhookVerificationError);
  });

  it('rejects a missing or malformed secret instead of signing with it', () => {
    expect(() => signatureHeaders({ id: 'x', timestamp: now, body, secrets: [] })).toThrow(/At least one/);
    expect(() => signatureHeaders({ id: 'x', timestamp: now, body, secrets: ['not-a-secret'] })).toThrow(/whsec_/);
    expect(() => signatureHeaders({ id: 'x', timestamp: now, body, secrets: ['whsec_'] })).toThrow(/empty/);
  });
});

describe('activeSigningSecrets', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  const hoursFromNow = (h: number) => new Date(now.getTime() + h * 3600_000);

  it('keeps the previous secret, after the current one, until its overlap ends', () => {
    expect(activeSigningSecrets('whsec_new', { secret: 'whsec_old', expiresAt: hoursFromNow(23) }, now)).toEqual(['whsec_new', 'whsec_old']);
  });

  it('drops the previous secret at and after its expiry, or when there is none', () => {
    expect(activeSigningSecrets('whsec_new', { secret: 'whsec_old', expiresAt: now }, now)).toEqual(['whsec_new']);
    expect(activeSigningSecrets('whsec_new', { secret: 'whsec_old', expiresAt: hoursFromNow(-1) }, now)).toEqual(['whsec_new']);
    expect(activeSigningSecrets('whsec_new', null, now)).toEqual(['whsec_new']);
    expect(activeSigningSecrets('whsec_new', undefined, now)).toEqual(['whsec_new']);
  });

  it('does not sign twice with the same secret', () => {
    expect(activeSigningSecrets('whsec_same', { secret: 'whsec_same', expiresAt: hoursFromNow(1) }, now)).toEqual(['whsec_same']);
  });
});
