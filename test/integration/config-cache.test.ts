/**
 * The per-process webhook configuration cache on the real database: events always see the current
 * configuration; delivery attempts may use a view up to RECENT_MS old, except that a write through
 * this process invalidates it at once. "Another process" is simulated by writing to the collection
 * directly, below mongoose's models (no configVersion hook runs in this process).
 */
import { createConfigCache, RECENT_MS } from '../../src/config-cache';
import { SETTINGS_ID } from '../../src/models/config-version';
import { startTestHerald, type TestHerald } from '../helpers/herald';

let h: TestHerald;
beforeAll(async () => {
  h = await startTestHerald({ worker: false });
});
afterAll(async () => h?.stop());

/** A configuration write made by another process: the settings document changes, with its version. */
async function otherProcessSetsCommunications(value: 'enabled' | 'none'): Promise<void> {
  await h.db.connection.collection('settings').updateOne({ _id: SETTINGS_ID as never }, { $set: { webhookCommunications: value }, $inc: { configVersion: 1 } }, { upsert: true });
}

test('attempts reuse a view for at most RECENT_MS; events always revalidate', async () => {
  const cache = createConfigCache(h.models);
  const t0 = Date.now();
  expect((await cache.current()).communications).toBe('enabled');
  await otherProcessSetsCommunications('none');

  // Within the window the attempt path keeps the view it has (no read)…
  expect((await cache.recent(t0 + RECENT_MS / 2)).communications).toBe('enabled');
  // …past it, it reads again; the event path reads every time.
  expect((await cache.current()).communications).toBe('none');
  expect((await cache.recent(Date.now() + RECENT_MS + 1)).communications).toBe('none');
  await otherProcessSetsCommunications('enabled');
  expect((await cache.current()).communications).toBe('enabled');
});

test("a configuration write through this process's models is seen by the next attempt at once", async () => {
  const cache = createConfigCache(h.models);
  const created = await h.api('POST', '/v1/webhooks', { name: 'cache', eventTypes: ['cache.test'], url: 'https://example.com/hook' });
  expect(created.status).toBe(201);
  expect((await cache.recent()).byId.get(created.body.id)?.enabled).toBe(true);

  // The API disables it (models in this process): the cached view is dropped, not served for a second.
  expect((await h.api('PATCH', `/v1/webhooks/${created.body.id}`, { enabled: false })).status).toBe(200);
  expect((await cache.recent()).byId.get(created.body.id)?.enabled).toBe(false);
  await h.api('PUT', '/v1/settings', { webhookCommunications: 'none' });
  expect((await cache.recent()).communications).toBe('none');
  await h.api('PUT', '/v1/settings', { webhookCommunications: 'enabled' });
  expect((await cache.recent()).communications).toBe('enabled');
});
