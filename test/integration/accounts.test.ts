/**
 * Accounts on the real stack: keys shown once and stored hashed, revoked at once, the rules of
 * `Herald-Account`, the account `default` that keeps everything from before, per-account switch
 * and ingest limit, `HeraldAccountId` in Temporal, per-account metrics, the CLI's `--account`, and
 * deleting an account (traffic stops, keys revoked, history kept).
 */
import { hashApiKey } from '../../src/accounts/keys';
import { inAccount } from '../../src/accounts/scope';
import { KEY_CACHE_MS } from '../../src/http/auth';
import { cliEnv, runCli } from '../helpers/cli';
import { eventually, FAST_RETRY, useHeraldAndReceiver, waitForStatus } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver();

const withKey = (key: string) => (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  h.api(method, path, body, { authorization: `Bearer ${key}`, ...headers });

async function newAccount(fields: Record<string, unknown> = {}) {
  const account = await h.api('POST', '/v1/accounts', { name: 'Bank', ...fields });
  expect(account.status).toBe(201);
  const key = await h.api('POST', `/v1/accounts/${account.body.id}/keys`, { name: 'primary' });
  expect(key.status).toBe(201);
  return { id: account.body.id as string, key: key.body.key as string, keyId: key.body.id as string, api: withKey(key.body.key) };
}

test('onboarding in three calls: account, key, webhook; the key acts on its account only', async () => {
  const account = await h.api('POST', '/v1/accounts', { name: 'ACME Bank' });
  expect(account.status).toBe(201);
  expect(account.body).toMatchObject({ id: expect.stringMatching(/^acc_/), name: 'ACME Bank', apiVersion: null, webhookCommunications: 'enabled' });
  const key = await h.api('POST', `/v1/accounts/${account.body.id}/keys`, {});
  expect(key.body.key).toMatch(/^hk_[A-Za-z0-9_-]{43}$/);
  const hook = await withKey(key.body.key)('POST', '/v1/webhooks', { name: 'crm', eventTypes: ['loan.disbursed'], url: `${receiver.url}/onboard`, retry: FAST_RETRY });
  expect(hook.status).toBe(201);
  // The admin key sees it only when naming the account.
  expect((await h.api('GET', `/v1/webhooks/${hook.body.id}`)).status).toBe(404);
  expect((await h.api('GET', `/v1/webhooks/${hook.body.id}`, undefined, { 'herald-account': account.body.id })).status).toBe(200);
});

test('a key is shown once, stored only as its hash, listed without it', async () => {
  const a = await newAccount();
  const stored = await h.db.connection.collection('apikeys').findOne({ _id: a.keyId as never });
  expect(stored).toMatchObject({ hash: hashApiKey(a.key), accountId: a.id });
  expect(JSON.stringify(stored)).not.toContain(a.key);
  const list = await h.api('GET', `/v1/accounts/${a.id}/keys`);
  expect(list.body.data).toEqual([{ id: a.keyId, name: 'primary', prefix: a.key.slice(0, 10), createdAt: expect.any(String) }]);
  expect(JSON.stringify(list.body)).not.toContain(a.key);
});

test('a revoked key is refused within a second, with the same 401 as a wrong or malformed key', async () => {
  const a = await newAccount();
  expect((await a.api('GET', '/v1/webhooks')).status).toBe(200);
  expect((await h.api('DELETE', `/v1/accounts/${a.id}/keys/${a.keyId}`)).status).toBe(204);
  const revokedAt = Date.now();
  const refused = await eventually(async () => {
    const r = await a.api('GET', '/v1/webhooks');
    return r.status === 401 ? r : null;
  }, 5_000, 'the revoked key to be refused');
  expect(Date.now() - revokedAt).toBeLessThan(KEY_CACHE_MS + 500);
  const wrong = await withKey(`hk_${'x'.repeat(43)}`)('GET', '/v1/webhooks');
  const malformed = await withKey('not-a-key')('GET', '/v1/webhooks');
  expect(wrong.body).toEqual(refused.body);
  expect(malformed.body).toEqual(refused.body);
  expect(refused.body.error.code).toBe('unauthorized');
  expect((await h.api('DELETE', `/v1/accounts/${a.id}/keys/${a.keyId}`)).status).toBe(404);
});

test('Herald-Account: an admin names any live account; an account key only its own', async () => {
  const a = await newAccount();
  const b = await newAccount();
  const unknown = await h.api('GET', '/v1/webhooks', undefined, { 'herald-account': 'acc_0000000000000000000000000' });
  expect(unknown.status).toBe(404);
  const own = await a.api('GET', '/v1/webhooks', undefined, { 'herald-account': a.id });
  expect(own.status).toBe(200);
  const other = await a.api('GET', '/v1/webhooks', undefined, { 'herald-account': b.id });
  expect(other.status).toBe(400);
  expect(other.body.error.details).toEqual([{ path: 'Herald-Account', message: expect.stringContaining("key's own account") }]);
});

test('validation errors name the field; unknown accounts 404; default cannot be deleted', async () => {
  const bad = await h.api('POST', '/v1/accounts', { name: '', apiVersion: '9.0', eventsPerSecond: 0, colour: 'red' });
  expect(bad.status).toBe(400);
  expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['', 'apiVersion', 'eventsPerSecond', 'name']);
  expect((await h.api('GET', '/v1/accounts/acc_0000000000000000000000000')).status).toBe(404);
  expect((await h.api('DELETE', '/v1/accounts/default')).status).toBe(409);
  const list = await h.api('GET', '/v1/accounts?limit=200');
  expect(list.body.data.map((x: { id: string }) => x.id)).toContain('default');
});

test('the switch is per account: "none" in one account stops only its notifications', async () => {
  const a = await newAccount();
  const b = await newAccount();
  for (const t of [a, b]) {
    expect((await t.api('POST', '/v1/webhooks', { name: 'sw', eventTypes: ['sw.test'], url: `${receiver.url}/switch`, retry: FAST_RETRY })).status).toBe(201);
  }
  expect((await h.api('PATCH', `/v1/accounts/${a.id}`, { webhookCommunications: 'none' })).body.webhookCommunications).toBe('none');
  expect((await a.api('GET', '/v1/settings')).body.webhookCommunications).toBe('none');
  expect((await a.api('POST', '/v1/events', { type: 'sw.test', data: {} })).body.notifications).toEqual([]);
  const delivered = await b.api('POST', '/v1/events', { type: 'sw.test', data: {} });
  expect(delivered.body.notifications).toHaveLength(1);
  await waitForStatus({ api: b.api } as never, delivered.body.notifications[0].id, ['sent']);
});

test('eventsPerSecond: events over the limit get 429 with Retry-After, nothing stored', async () => {
  const a = await newAccount({ eventsPerSecond: 3 });
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => a.api('POST', '/v1/events', { type: 'limit.test', data: { i } })));
  const refused = answers.filter((r) => r.status === 429);
  const accepted = answers.filter((r) => r.status === 202);
  // Eight in (almost surely) one second, or straddling two: at most 3 per second get in.
  expect(accepted.length).toBeGreaterThanOrEqual(3);
  expect(accepted.length).toBeLessThanOrEqual(6);
  expect(refused[0].headers.get('retry-after')).toMatch(/^[12]$/);
  expect(refused[0].body.error.code).toBe('rate_limited');
  const stored = await a.api('GET', '/v1/events?type=limit.test&limit=200');
  expect(stored.body.data).toHaveLength(accepted.length);
});

test('workflows carry HeraldAccountId; metrics count attempts per account', async () => {
  const a = await newAccount();
  await a.api('POST', '/v1/webhooks', { name: 'sa', eventTypes: ['sa.test'], url: `${receiver.url}/sa`, retry: FAST_RETRY });
  const ev = await a.api('POST', '/v1/events', { type: 'sa.test', data: {} });
  const id = ev.body.notifications[0].id as string;
  await waitForStatus({ api: a.api } as never, id, ['sent']);
  const found = await eventually(async () => {
    const { count } = await h.temporal.client.workflow.count(`HeraldAccountId='${a.id}'`);
    return count === 1 ? count : null;
  }, 15_000, 'the visibility record');
  expect(found).toBe(1);
  const text = await (await fetch(`${h.url}/metrics`)).text();
  expect(text).toMatch(new RegExp(`herald_account_attempts_total\\{account="${a.id}",outcome="success"\\} 1`));
  expect(text).toMatch(new RegExp(`herald_account_notifications\\{account="${a.id}",status="sent"\\} 1`));
});

test('herald --account lists that account\'s notifications only', async () => {
  const a = await newAccount();
  await a.api('POST', '/v1/webhooks', { name: 'cli', eventTypes: ['cli-acc.test'], url: `${receiver.url}/cli-acc`, retry: FAST_RETRY });
  const ev = await a.api('POST', '/v1/events', { type: 'cli-acc.test', data: {} });
  const id = ev.body.notifications[0].id as string;
  await waitForStatus({ api: a.api } as never, id, ['sent']);
  const env = cliEnv(h);
  const mine = await runCli(env, 'notifications', 'list', '--account', a.id);
  expect(mine.code).toBe(0);
  expect(mine.stdout).toContain(id);
  const theirs = await runCli(env, 'notifications', 'list');
  expect(theirs.stdout).not.toContain(id);
  const unknown = await runCli(env, 'notifications', 'list', '--account', 'acc_0000000000000000000000000');
  expect(unknown.code).not.toBe(0);
  expect(unknown.stderr).toContain('no account acc_0000000000000000000000000');
});

test('deleting an account stops its traffic, revokes its keys and keeps its history', async () => {
  const a = await newAccount();
  receiver.respond((req) => (req.url === '/deleted' ? { status: 500 } : { status: 200 }));
  const hook = await a.api('POST', '/v1/webhooks', { name: 'del', eventTypes: ['del.test'], url: `${receiver.url}/deleted`, retry: { ...FAST_RETRY, maxAttempts: 20 } });
  const ev = await a.api('POST', '/v1/events', { type: 'del.test', data: {} });
  const id = ev.body.notifications[0].id as string;
  await waitForStatus({ api: a.api } as never, id, ['retrying']);
  expect((await h.api('DELETE', `/v1/accounts/${a.id}`)).status).toBe(204);
  const asAdmin = (m: string, p: string) => h.api(m, p, undefined, { 'herald-account': a.id });
  // Gone for admins too, its key refused, its open notification cancelled, its data kept.
  expect((await h.api('GET', `/v1/accounts/${a.id}`)).status).toBe(404);
  // (Each process caches a live account for up to KEY_CACHE_MS.)
  await eventually(async () => (await asAdmin('GET', '/v1/webhooks')).status === 404, 5_000, 'the account to be unknown to admins');
  await eventually(async () => (await a.api('GET', '/v1/webhooks')).status === 401, 5_000, 'the key to be refused');
  const cancelled = await eventually(async () => {
    const n = await h.db.connection.collection('notifications').findOne({ _id: id as never });
    return n?.status === 'cancelled' ? n : null;
  }, 30_000, 'the open notification to be cancelled');
  expect(cancelled.accountId).toBe(a.id);
  const webhook = await h.db.connection.collection('webhooks').findOne({ _id: hook.body.id as never });
  expect(webhook).toMatchObject({ enabled: false, deletedAt: expect.any(Date) });
  receiver.respond(() => ({ status: 200 }));
});

test("by-id queries are scoped by their filter, keep FerretDB's _id index, and never reach another account's document", async () => {
  const a = await newAccount();
  const b = await newAccount();
  const { Event } = h.models;
  await inAccount(a.id, () => Event.create({ _id: 'evt_by_id_a', type: 'by.id', occurredAt: new Date(), dedupeKey: 'id:evt_by_id_a' }));
  const mine = Event.findById('evt_by_id_a').lean();
  expect(await inAccount(a.id, () => mine)).toMatchObject({ _id: 'evt_by_id_a', accountId: a.id });
  expect(mine.getFilter()).toEqual({ _id: 'evt_by_id_a', accountId: a.id });
  // The embedded FerretDB answers `{_id, accountId}` and `{_id: {$in}}` from its _id index
  // (src/embedded/ferretdb-patches.ts): the plan is an index search, not a scan of the collection.
  for (const filter of [{ _id: 'evt_by_id_a' }, { _id: { $in: ['evt_by_id_a', 'evt_other'] } }]) {
    const plan = (await inAccount(a.id, () => Event.find(filter).explain())) as unknown as { filterPushdown: boolean; queryPlanner: unknown };
    expect(plan.filterPushdown).toBe(true);
    expect(JSON.stringify(plan.queryPlanner)).toMatch(/SEARCH .* USING INDEX/);
  }
  expect(await inAccount(b.id, () => Event.findById('evt_by_id_a', { type: 1 }).lean())).toBeNull();
  expect(await inAccount(b.id, () => Event.find({ _id: 'evt_by_id_a' }).lean())).toEqual([]);
  const write = await inAccount(b.id, () => Event.updateOne({ _id: 'evt_by_id_a' }, { $set: { type: 'stolen' } }));
  expect(write.matchedCount).toBe(0);
  expect((await inAccount(b.id, () => Event.deleteOne({ _id: 'evt_by_id_a' }))).deletedCount).toBe(0);
  expect(await inAccount(a.id, () => Event.findById('evt_by_id_a', { type: 1 }).lean())).toMatchObject({ type: 'by.id' });
  expect((await inAccount(a.id, () => Event.updateOne({ _id: 'evt_by_id_a' }, { $set: { type: 'mine' } }))).matchedCount).toBe(1);
});
