/**
 * Standard Webhooks signatures on the real delivery path, checked by what a receiver got with the
 * reference `standardwebhooks` package (a verifier we did not write): before a rotation, during
 * the 24-hour overlap (both secrets verify), and after it; a tampered body never verifies.
 */
import { Webhook } from 'standardwebhooks';
import { type ReceivedRequest } from '../helpers/receiver';
import { FAST_RETRY, waitForStatus, useHeraldAndReceiver } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver();

function signed(r: ReceivedRequest): Record<string, string> {
  return {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  };
}

function verifies(secret: string, body: string, headers: Record<string, string>): boolean {
  try {
    new Webhook(secret).verify(body, headers);
    return true;
  } catch {
    return false;
  }
}

async function createWebhook(path: string, extra: Record<string, unknown> = {}) {
  const res = await h.api('POST', '/v1/webhooks', { name: path, eventTypes: [`sig.${path}`], url: `${receiver.url}/${path}`, ...extra });
  expect(res.status).toBe(201);
  return res.body as { id: string };
}

/** Sends one event to the webhook's event type and returns the request the receiver got for it. */
async function deliverOne(path: string, data: Record<string, unknown>) {
  const res = await h.api('POST', '/v1/events', { type: `sig.${path}`, data });
  expect(res.status).toBe(202);
  const id = res.body.notifications[0].id as string;
  await waitForStatus(h, id, ['sent']);
  const got = receiver.requests.filter((r) => r.url === `/${path}` && (r.headers['webhook-id'] ?? id) === id);
  expect(got.length).toBeGreaterThanOrEqual(1);
  return { notificationId: id, request: got[got.length - 1], all: got };
}

test('GET secret returns a whsec_ secret (no-store) and the receiver verifies the delivery with it; a tampered body fails', async () => {
  const webhook = await createWebhook('plain');
  const res = await h.api('GET', `/v1/webhooks/${webhook.id}/secret`);
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  expect(res.body.previousSecretExpiresAt).toBeNull();

  const { notificationId, request } = await deliverOne('plain', { amount: 42 });
  const headers = signed(request);
  expect(headers['webhook-id']).toBe(notificationId);
  expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  expect(new Webhook(res.body.secret).verify(request.body, headers)).toEqual(JSON.parse(request.body));

  expect(verifies(res.body.secret, request.body.replace('42', '43'), headers)).toBe(false);
  expect(verifies(res.body.secret, request.body, { ...headers, 'webhook-id': 'ntf_other' })).toBe(false);
  // The webhook view never carries the secret.
  const view = await h.api('GET', `/v1/webhooks/${webhook.id}`);
  expect(JSON.stringify(view.body)).not.toContain(res.body.secret.slice(6));
});

test('after a rotation both secrets verify for 24 hours, then only the new one', async () => {
  const webhook = await createWebhook('rotate');
  const old = (await h.api('GET', `/v1/webhooks/${webhook.id}/secret`)).body.secret as string;
  const before = await deliverOne('rotate', { n: 1 });
  expect(verifies(old, before.request.body, signed(before.request))).toBe(true);

  const rotatedAt = Date.now();
  const rotated = await h.api('POST', `/v1/webhooks/${webhook.id}/secret/rotate`);
  expect(rotated.status).toBe(200);
  expect(rotated.headers.get('cache-control')).toBe('no-store');
  const next = rotated.body.secret as string;
  expect(next).toMatch(/^whsec_/);
  expect(next).not.toBe(old);
  const expiresIn = new Date(rotated.body.previousSecretExpiresAt).getTime() - rotatedAt;
  expect(expiresIn).toBeGreaterThan(24 * 3600_000 - 60_000);
  expect(expiresIn).toBeLessThanOrEqual(24 * 3600_000 + 60_000);
  expect((await h.api('GET', `/v1/webhooks/${webhook.id}/secret`)).body.secret).toBe(next);

  // During the overlap: two signatures, each secret verifies on its own; a tampered body fails with both.
  const during = await deliverOne('rotate', { n: 2 });
  const headers = signed(during.request);
  expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
  expect(verifies(next, during.request.body, headers)).toBe(true);
  expect(verifies(old, during.request.body, headers)).toBe(true);
  const tampered = during.request.body.replace('"n":2', '"n":3');
  expect(tampered).not.toBe(during.request.body);
  expect(verifies(next, tampered, headers)).toBe(false);
  expect(verifies(old, tampered, headers)).toBe(false);

  // The overlap ends 24 hours after the rotation: move that moment into the past instead of waiting.
  await h.models.Webhook.updateOne({ _id: webhook.id }, { $set: { 'signing.previousExpiresAt': new Date(Date.now() - 1000) } });
  const after = await deliverOne('rotate', { n: 3 });
  expect(signed(after.request)['webhook-signature'].split(' ')).toHaveLength(1);
  expect(verifies(next, after.request.body, signed(after.request))).toBe(true);
  expect(verifies(old, after.request.body, signed(after.request))).toBe(false);
});

test('each attempt is signed with its own timestamp, and every attempt verifies', async () => {
  const webhook = await createWebhook('retry', { retry: FAST_RETRY });
  const secret = (await h.api('GET', `/v1/webhooks/${webhook.id}/secret`)).body.secret as string;
  let calls = 0;
  receiver.respond((req) => (req.url === '/retry' && ++calls === 1 ? { status: 500 } : { status: 200 }));
  const { all } = await deliverOne('retry', { attempt: 'x' });
  receiver.respond(() => ({ status: 200 }));
  expect(all).toHaveLength(2);
  const [first, second] = all.map(signed);
  expect(Number(second['webhook-timestamp'])).toBeGreaterThan(Number(first['webhook-timestamp']));
  expect(second['webhook-signature']).not.toBe(first['webhook-signature']);
  expect(all.every((r) => verifies(secret, r.body, signed(r)))).toBe(true);
});

test('rotate to a provided secret; a malformed one is a 400; signing off sends no signature headers', async () => {
  const webhook = await createWebhook('provided', { signing: { enabled: false } });
  const mine = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
  const ok = await h.api('POST', `/v1/webhooks/${webhook.id}/secret/rotate`, { secret: mine });
  expect(ok.status).toBe(200);
  expect(ok.body.secret).toBe(mine);
  expect((await h.api('GET', `/v1/webhooks/${webhook.id}/secret`)).body.secret).toBe(mine);

  const bad = await h.api('POST', `/v1/webhooks/${webhook.id}/secret/rotate`, { secret: 'whsec_short' });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details).toEqual([{ path: 'secret', message: 'must encode 24 to 64 bytes' }]);
  expect((await h.api('POST', `/v1/webhooks/${webhook.id}/secret/rotate`, { key: mine })).status).toBe(400);

  const { request } = await deliverOne('provided', {});
  expect(request.headers['webhook-signature']).toBeUndefined();
  expect(request.headers['webhook-timestamp']).toBeUndefined();
});

test('the secret endpoints need the API key and a live webhook', async () => {
  const webhook = await createWebhook('gone');
  expect((await fetch(`${h.url}/v1/webhooks/${webhook.id}/secret`)).status).toBe(401);
  expect((await fetch(`${h.url}/v1/webhooks/${webhook.id}/secret/rotate`, { method: 'POST' })).status).toBe(401);
  expect((await h.api('DELETE', `/v1/webhooks/${webhook.id}`)).status).toBe(204);
  expect((await h.api('GET', `/v1/webhooks/${webhook.id}/secret`)).status).toBe(404);
  expect((await h.api('POST', `/v1/webhooks/${webhook.id}/secret/rotate`)).status).toBe(404);
  expect((await h.api('GET', '/v1/webhooks/wh_nope/secret')).status).toBe(404);
});
