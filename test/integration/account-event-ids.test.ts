/**
 * A client-chosen event id is unique per account (src/accounts/event-ids.ts): the same id in two
 * accounts is two events, each answered 202, each found, delivered and streamed under the id the
 * client gave; an id used by another account answers exactly as a fresh one (no 500, no oracle);
 * a repeat in the same account is still the same event (200).
 */
import { eventually, useHeraldAndReceiver } from '../helpers/herald';

const { h, receiver } = useHeraldAndReceiver();

async function newAccount(name: string) {
  const account = await h.api('POST', '/v1/accounts', { name });
  expect(account.status).toBe(201);
  const key = await h.api('POST', `/v1/accounts/${account.body.id}/keys`, { name: 'primary' });
  const api = (method: string, path: string, body?: unknown) => h.api(method, path, body, { authorization: `Bearer ${key.body.key}` });
  return { id: account.body.id as string, api };
}

test('the same event id in two accounts is two events; the API shows the id the client gave', async () => {
  const a = await newAccount('A');
  const b = await newAccount('B');
  for (const acc of [a, b]) {
    expect((await acc.api('POST', '/v1/webhooks', { name: 'ids', eventTypes: ['ids.test'], url: `${receiver.url}/ids/${acc.id}` })).status).toBe(201);
  }
  const first = await a.api('POST', '/v1/events', { id: 'loan-7-disbursed', type: 'ids.test', data: { who: 'a' } });
  expect(first.status).toBe(202);
  expect(first.body.id).toBe('loan-7-disbursed');
  // B's answer is the one a fresh id gets: 202, its own event.
  const second = await b.api('POST', '/v1/events', { id: 'loan-7-disbursed', type: 'ids.test', data: { who: 'b' } });
  expect(second.status).toBe(202);
  expect(second.body).toMatchObject({ id: 'loan-7-disbursed', notifications: [expect.objectContaining({ status: 'pending' })] });
  expect(second.body.notifications[0].id).not.toBe(first.body.notifications[0].id);
  const fresh = await b.api('POST', '/v1/events', { id: 'never-used-elsewhere', type: 'ids.test' });
  expect(fresh.status).toBe(second.status);

  // Each account finds its own event by the id it gave, with its own data.
  const readA = await a.api('GET', '/v1/events/loan-7-disbursed');
  const readB = await b.api('GET', '/v1/events/loan-7-disbursed');
  expect(readA.body).toMatchObject({ id: 'loan-7-disbursed', data: { who: 'a' } });
  expect(readB.body).toMatchObject({ id: 'loan-7-disbursed', data: { who: 'b' } });
  // A repeat in the same account is the same event.
  const again = await b.api('POST', '/v1/events', { id: 'loan-7-disbursed', type: 'ids.test', data: { who: 'b' } });
  expect(again.status).toBe(200);
  expect(again.body.notifications.map((n: { id: string }) => n.id)).toEqual(second.body.notifications.map((n: { id: string }) => n.id));

  // Lists, notifications and the payload show the client's id.
  const listed = await b.api('GET', '/v1/events?type=ids.test');
  expect(listed.body.data.map((e: { id: string }) => e.id)).toContain('loan-7-disbursed');
  const byEvent = await b.api('GET', '/v1/notifications?eventId=loan-7-disbursed');
  expect(byEvent.body.data).toHaveLength(1);
  expect(byEvent.body.data[0]).toMatchObject({ eventId: 'loan-7-disbursed', id: second.body.notifications[0].id });
  const delivered = await eventually(async () => receiver.requests.find((r) => r.url === `/ids/${b.id}` && JSON.parse(r.body).data?.who === 'b'), 30_000, "B's delivery");
  expect(JSON.stringify(JSON.parse(delivered.body))).toContain('"loan-7-disbursed"');
  expect(JSON.stringify(JSON.parse(delivered.body))).not.toContain('~');
  // A stored form is never an id the API takes.
  expect((await b.api('GET', `/v1/events/${encodeURIComponent(`${b.id}~loan-7-disbursed`)}`)).status).toBe(404);
});
