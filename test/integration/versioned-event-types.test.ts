/**
 * Versioned event types on the real stack: declaring versions (201 / 200 / 409 / 400), posting
 * in a version with schema checks, and the seed's example delivered to a real receiver — an
 * account pinned to 8.0.3 keeps receiving `exampleField` after 9.0.0 renames it, a "latest"
 * webhook receives the new name, and a type added in 9.1.0 reaches the pinned account at its
 * first version.
 */
import { startTestHerald, waitForStatus, FAST_RETRY, type TestHerald } from '../helpers/herald';
import { startReceiver, type Receiver, type ReceivedRequest } from '../helpers/receiver';
import { DEFAULT_ACCOUNT, inAccount } from '../../src/accounts/scope';

let h: TestHerald;
let receiver: Receiver;

beforeAll(async () => {
  [h, receiver] = await Promise.all([startTestHerald(), startReceiver()]);
});

afterAll(async () => {
  await h?.stop();
  await receiver?.close();
});

const put = (type: string, version: string, body: unknown) => h.api('PUT', `/v1/event-types/${type}/versions/${version}`, body);

const objectOf = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required });

describe('declaring versions', () => {
  it('201 for a new version, 200 when replaced while unused, 409 once an event used it', async () => {
    const first = await put('loan.created', '1.0.0', { schema: objectOf({ amount: { type: 'number' } }, ['amount']) });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ type: 'loan.created', version: '1.0.0', changes: [], schema: { required: ['amount'] } });

    const again = await put('loan.created', '1.0.0', { schema: objectOf({ amount: { type: 'number' }, currency: { type: 'string' } }, ['amount']) });
    expect(again.status).toBe(200);

    expect((await h.api('POST', '/v1/events', { type: 'loan.created', data: { amount: 5 } })).status).toBe(202);
    const locked = await put('loan.created', '1.0.0', { schema: objectOf({}) });
    expect(locked.status).toBe(409);
    expect(locked.body.error.message).toMatch(/in use/);

    const listed = await h.api('GET', '/v1/event-types/loan.created');
    expect(listed.status).toBe(200);
    expect(listed.body.newestVersion).toBe('1.0.0');
    expect(listed.body.versions.map((v: { version: string }) => v.version)).toEqual(['1.0.0']);
    expect((await h.api('GET', '/v1/events?type=loan.created')).body.data[0].version).toBe('1.0.0');
  });

  it('400 for a version that is not MAJOR.MINOR.PATCH, a bad schema, or changes that cannot apply, with every reason', async () => {
    const bad = await put('loan.paid', 'v1', { schema: { type: 'objet' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(['version']);

    expect((await put('loan.paid', '1.0.0', { schema: objectOf({ paidAt: { type: 'string' } }) })).status).toBe(201);
    const wrong = await put('loan.paid', '2.0.0', {
      schema: { type: 'object', requird: [] },
      changes: [{ op: 'rename', from: 'paidOn', to: 'paymentDate' }, { op: 'add', path: 'x' }, { op: 'drop', path: 'y' }],
    });
    expect(wrong.status).toBe(400);
    const paths = wrong.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(['changes.1.default', 'changes.2.op']);

    const unapplicable = await put('loan.paid', '2.0.0', {
      schema: objectOf({ paymentDate: { type: 'string' } }),
      changes: [{ op: 'rename', from: 'paidOn', to: 'paymentDate' }],
    });
    expect(unapplicable.status).toBe(400);
    expect(unapplicable.body.error.details).toEqual([{ path: 'changes.0.from', message: '"paidOn" is not a field of 1.0.0\'s schema: nothing to rename' }]);
    expect((await put('herald.webhook.disabled', '1.0.0', {})).status).toBe(400);
    // Listed with its newest version before any event of it was seen.
    const types = (await h.api('GET', '/v1/event-types')).body.data;
    expect(types.find((t: { type: string }) => t.type === 'loan.paid')).toMatchObject({ count: 0, newestVersion: '1.0.0' });
    expect(types.find((t: { type: string }) => t.type === 'loan.created')).toMatchObject({ newestVersion: '1.0.0' });
  });

  it('a version between two others re-checks the next one, and is refused once the next one is used', async () => {
    expect((await put('card.issued', '1.0.0', { schema: objectOf({ pan: { type: 'string' } }) })).status).toBe(201);
    expect((await put('card.issued', '3.0.0', { schema: objectOf({ maskedPan: { type: 'string' } }), changes: [{ op: 'rename', from: 'pan', to: 'maskedPan' }] })).status).toBe(201);
    // 2.0.0 without `pan` would leave 3.0.0's rename nothing to move.
    const breaks = await put('card.issued', '2.0.0', { schema: objectOf({ other: { type: 'string' } }), changes: [{ op: 'rename', from: 'pan', to: 'other' }] });
    expect(breaks.status).toBe(400);
    expect(breaks.body.error.details[0].path).toBe('(version 3.0.0).changes.0.from');
    expect((await h.api('POST', '/v1/events', { type: 'card.issued', data: { maskedPan: '****' } })).status).toBe(202);
    expect((await put('card.issued', '2.5.0', { schema: objectOf({ pan: { type: 'string' } }) })).status).toBe(409);
  });
});

describe('posting in a version', () => {
  it('checks data against the version\'s schema: 400 with every bad field, nothing stored', async () => {
    await put('deposit.made', '1.0.0', { schema: objectOf({ amount: { type: 'number' }, account: objectOf({ iban: { type: 'string' } }, ['iban']) }, ['amount']) });
    const before = await inAccount(DEFAULT_ACCOUNT, () => h.models.Event.countDocuments({ type: 'deposit.made' }).exec());
    const res = await h.api('POST', '/v1/events', { type: 'deposit.made', data: { amount: 'ten', account: {} } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { path: 'data.amount', message: 'must be number' },
      { path: 'data.account.iban', message: 'is required' },
    ]);
    const unknown = await h.api('POST', '/v1/events', { type: 'deposit.made', version: '7.0.0', data: { amount: 1 } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details).toEqual([{ path: 'version', message: 'is not a declared version of this type (declared: 1.0.0)' }]);
    const unversioned = await h.api('POST', '/v1/events', { type: 'never.versioned', version: '1.0.0', data: {} });
    expect(unversioned.status).toBe(400);
    expect(await inAccount(DEFAULT_ACCOUNT, () => h.models.Event.countDocuments({ type: 'deposit.made' }).exec())).toBe(before);
  });
});

describe("the seed's example, delivered", () => {
  async function webhook(path: string, body: Record<string, unknown>) {
    const res = await h.api('POST', '/v1/webhooks', { name: `hook ${path}`, url: `${receiver.url}${path}`, retry: FAST_RETRY, eventTypes: ['example.created', 'example.archived'], ...body });
    expect(res.status).toBe(201);
    return res.body as { id: string; apiVersion: string };
  }

  async function post(body: Record<string, unknown>) {
    const res = await h.api('POST', '/v1/events', body);
    expect(res.status).toBe(202);
    return res.body as { id: string; notifications: Array<{ id: string; webhookId: string }> };
  }

  async function received(event: { notifications: Array<{ id: string; webhookId: string }> }, webhookId: string): Promise<ReceivedRequest> {
    const n = event.notifications.find((x) => x.webhookId === webhookId)!;
    await waitForStatus(h, n.id, ['sent']);
    return receiver.requests.find((r) => r.headers['webhook-id'] === n.id)!;
  }

  it('a pinned account keeps its field names, "latest" follows, a newer type arrives at its first version', async () => {
    expect((await put('example.created', '8.0.3', { schema: objectOf({ exampleField: { type: 'string' } }, ['exampleField']) })).status).toBe(201);
    // The account is pinned where the platform was when it integrated.
    expect((await h.api('PATCH', `/v1/accounts/${DEFAULT_ACCOUNT}`, { apiVersion: '8.0.3' })).status).toBe(200);
    const pinned = await webhook('/pinned', {});
    expect(pinned.apiVersion).toBe('account');
    const latest = await webhook('/latest', { apiVersion: 'latest' });
    const templated = await webhook('/templated', { apiVersion: '8.0.3', bodyTemplate: '{"field": "{{data.exampleField}}"}' });

    // The server moves on: 9.0.0 renames the field, 9.1.0 adds a type, 9.2.0 changes that type.
    const renamed = await put('example.created', '9.0.0', {
      schema: objectOf({ newExampleField: { type: 'string' } }, ['newExampleField']),
      changes: [{ op: 'rename', from: 'exampleField', to: 'newExampleField' }],
    });
    expect(renamed.status).toBe(201);
    expect((await put('example.archived', '9.1.0', { schema: objectOf({ reason: { type: 'string' } }) })).status).toBe(201);
    expect(
      (await put('example.archived', '9.2.0', { schema: objectOf({ archiveReason: { type: 'string' } }), changes: [{ op: 'rename', from: 'reason', to: 'archiveReason' }] })).status,
    ).toBe(201);

    // Posted in the newest version (the default).
    const created = await post({ type: 'example.created', data: { newExampleField: 'hello' } });
    const toPinned = await received(created, pinned.id);
    expect(JSON.parse(toPinned.body).data).toEqual({ exampleField: 'hello' });
    expect(toPinned.headers['herald-event-version']).toBe('8.0.3');
    const toLatest = await received(created, latest.id);
    expect(JSON.parse(toLatest.body).data).toEqual({ newExampleField: 'hello' });
    expect(toLatest.headers['herald-event-version']).toBe('9.0.0');
    // The body template sees the converted data.
    expect(JSON.parse((await received(created, templated.id)).body)).toEqual({ field: 'hello' });

    // Posted in an older version, converted up for "latest".
    const old = await post({ type: 'example.created', version: '8.0.3', data: { exampleField: 'from an old producer' } });
    expect(JSON.parse((await received(old, latest.id)).body).data).toEqual({ newExampleField: 'from an old producer' });
    expect(JSON.parse((await received(old, pinned.id)).body).data).toEqual({ exampleField: 'from an old producer' });

    // A type added after the pin: at its first version, and it stays there (9.2.0's rename is not applied).
    const archived = await post({ type: 'example.archived', data: { archiveReason: 'duplicate' } });
    const archivedPinned = await received(archived, pinned.id);
    expect(JSON.parse(archivedPinned.body).data).toEqual({ reason: 'duplicate' });
    expect(archivedPinned.headers['herald-event-version']).toBe('9.1.0');
    expect(JSON.parse((await received(archived, latest.id)).body).data).toEqual({ archiveReason: 'duplicate' });

    // The stored snapshot holds the converted data; a resend after the pin moved sends it unchanged.
    const n = created.notifications.find((x) => x.webhookId === pinned.id)!;
    expect(JSON.parse((await h.api('GET', `/v1/notifications/${n.id}`)).body.request.body).data).toEqual({ exampleField: 'hello' });
    // What moving the pin would change, then the move.
    const upgrade = await h.api('GET', `/v1/accounts/${DEFAULT_ACCOUNT}/upgrade-preview?to=9.2.0`);
    expect(upgrade.status).toBe(200);
    expect(upgrade.body).toMatchObject({ from: '8.0.3', to: '9.2.0', unaffectedWebhookIds: expect.arrayContaining([latest.id, templated.id]) });
    expect(upgrade.body.eventTypes).toEqual([
      { type: 'example.archived', webhookIds: [pinned.id], fromVersion: '9.1.0', toVersion: '9.2.0', renamed: [{ from: 'reason', to: 'archiveReason', version: '9.2.0' }], added: [], removed: [] },
      { type: 'example.created', webhookIds: [pinned.id], fromVersion: '8.0.3', toVersion: '9.0.0', renamed: [{ from: 'exampleField', to: 'newExampleField', version: '9.0.0' }], added: [], removed: [] },
    ]);
    expect((await h.api('GET', `/v1/accounts/${DEFAULT_ACCOUNT}/upgrade-preview?to=nine`)).status).toBe(400);
    expect((await h.api('PATCH', `/v1/accounts/${DEFAULT_ACCOUNT}`, { apiVersion: '9.0.0' })).status).toBe(200);
    const before = receiver.requests.length;
    expect((await h.api('POST', `/v1/notifications/${n.id}/resend`, {})).status).toBeLessThan(300);
    const resent = await waitFor(() => receiver.requests.slice(before).find((r) => r.headers['webhook-id'] === n.id));
    expect(JSON.parse(resent.body).data).toEqual({ exampleField: 'hello' });

    // Preview shows the data at a chosen version.
    const preview = await h.api('POST', `/v1/webhooks/${latest.id}/preview`, { event: { type: 'example.created', data: { newExampleField: 'p' } }, version: '8.0.3' });
    expect(preview.status).toBe(200);
    expect(JSON.parse(preview.body.body).data).toEqual({ exampleField: 'p' });
    expect(preview.body.headers['herald-event-version']).toBe('8.0.3');

    // A new account is pinned to the newest version declared on the platform.
    const made = await h.api('POST', '/v1/accounts', { name: 'Bank of Tests' });
    expect(made.status).toBe(201);
    expect(made.body.apiVersion).toBe('9.2.0');
  });
});

async function waitFor<T>(fn: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
