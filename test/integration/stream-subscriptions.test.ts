/**
 * Stream subscriptions as an operator sees them, on the real stack: the list is paged like every
 * list (limit, cursor, nextCursor; newest first) and matches the OpenAPI document.
 */
import { startTestHerald, type TestHerald } from '../helpers/herald';
import { listOf } from '../../src/openapi/responses';
import { streamSubscriptionSummary } from '../../src/openapi/streams';

let h: TestHerald;
beforeAll(async () => {
  h = await startTestHerald({ worker: false });
});
afterAll(async () => {
  await h?.stop();
});

test('the list is paged newest first with limit, cursor and nextCursor; bad paging parameters are named', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await h.api('POST', '/v1/subscriptions', { owningApplication: `pager-${i}`, eventTypes: ['pager.type'] });
    expect(r.status).toBe(201);
    ids.push(r.body.id);
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r = await h.api('GET', `/v1/subscriptions?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    expect(r.status).toBe(200);
    expect(listOf(streamSubscriptionSummary).safeParse(r.body).success).toBe(true);
    expect(r.body.data.length).toBeLessThanOrEqual(2);
    seen.push(...r.body.data.map((s: { id: string }) => s.id));
    cursor = r.body.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  expect(pages).toBe(3);
  expect(seen).toEqual([...ids].reverse());

  const bad = await h.api('GET', '/v1/subscriptions?limit=0&cursor=not%20a%20cursor&page=2');
  expect(bad.status).toBe(400);
  expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['cursor', 'limit', 'page']);
  expect((await h.api('GET', '/v1/subscriptions?limit=201')).body.error.details).toEqual([{ path: 'limit', message: 'must be at most 200' }]);
});
