/**
 * The console's Streams screen in a real browser (headless Chromium) on the real stack: an account
 * key lists its own stream subscriptions (application, event types, group, streams open, total
 * lag), never another account's, and a subscription's page shows the lag per partition exactly as
 * the API has it, refreshed as a consumer commits; an admin key picks the account, and a long list
 * pages with "Load more".
 */
import type { Browser, Page } from 'playwright-core';
import { TEST_API_KEY, useHeraldAndReceiver } from '../helpers/herald';
import { consoleListRows, launchBrowser, see, signInToConsole } from '../helpers/browser';
import { openStream, commit, type TestStream } from '../helpers/stream-client';

const { h } = useHeraldAndReceiver({ worker: false });
let browser: Browser;
let page: Page;
let stream: TestStream | undefined;
const tenants = {} as Record<'alpha' | 'beta', { id: string; key: string; sub: string }>;

const as = (key: string) => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  browser = await launchBrowser();
  for (const [slot, name, app] of [['alpha', 'Alpha Bank', 'alpha-ledger'], ['beta', 'Beta Bank', 'beta-warehouse']] as const) {
    const account = await h.api('POST', '/v1/accounts', { name });
    const key = (await h.api('POST', `/v1/accounts/${account.body.id}/keys`, {})).body.key as string;
    const sub = await h.api('POST', '/v1/subscriptions', { owningApplication: app, eventTypes: [`${slot}.booked`], readFrom: 'begin' }, as(key));
    expect(sub.status).toBe(201);
    tenants[slot] = { id: account.body.id, key, sub: sub.body.id };
  }
  // Beta's subscription is the oldest of 51: on the list's second page.
  for (let i = 0; i < 50; i++) {
    expect((await h.api('POST', '/v1/subscriptions', { owningApplication: `beta-filler-${i}`, eventTypes: ['beta.other'], readFrom: 'begin' }, as(tenants.beta.key))).status).toBe(201);
  }
  for (let i = 0; i < 12; i++) {
    expect((await h.api('POST', '/v1/events', { type: 'alpha.booked', entityIds: [`client-${i}`], data: { i } }, as(tenants.alpha.key))).status).toBe(202);
  }
}, 120_000);
afterEach(() => {
  stream?.close(); // before the Herald stops: its server waits for open responses
});
afterAll(async () => {
  await browser?.close();
});

/** The partition table's cells, row by row. */
const partitionCells = () => page.locator('main table[aria-label="Lag per partition"] tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent?.trim())));

test('an account key sees its subscriptions with streams open and lag, and each partition as the API has it; the page follows commits', async () => {
  const { alpha, beta } = tenants;
  stream = await openStream(h.url, alpha.key, alpha.sub, 'batch_limit=100&batch_flush_timeout=0.1');
  await stream.untilEvents(12);
  page = await signInToConsole(browser, h.url, alpha.key);

  const rows = await consoleListRows(page, 'Streams');
  expect(rows).toHaveLength(1);
  expect(rows[0]).toContain('alpha-ledger');
  expect(rows[0]).toContain('alpha.booked');
  expect(rows[0]).toContain('default');
  const cells = await page.locator('main table.list tbody tr td.num').allTextContents();
  expect(cells).toEqual(['1', '12']); // streams open, total lag
  expect(rows.join('\n')).not.toContain('beta');

  await page.getByRole('link', { name: 'alpha-ledger' }).click();
  await see.visible(page.getByRole('heading', { name: 'alpha-ledger' }));
  const api = (await h.api('GET', `/v1/subscriptions/${alpha.sub}`, undefined, as(alpha.key))).body;
  await see.text(page.locator('#stream-lag'), '12');
  await see.text(page.locator('#stream-open'), '1');
  expect(await partitionCells()).toEqual(api.partitions.map((p: { partition: number; committedOffset: number; lastOffset: number; lag: number }) =>
    [String(p.partition), String(p.committedOffset), String(p.lastOffset), String(p.lag), stream!.streamId]));

  // The consumer commits every partition it read: the page shows the lag going to 0 without a reload.
  const last = new Map(stream.batches.filter((b) => b.events).map((b) => [b.cursor.partition, b.cursor]));
  expect((await commit(h.url, alpha.key, alpha.sub, stream.streamId, [...last.values()])).status).toBe(204);
  await see.text(page.locator('#stream-lag'), '0', 15_000);
  expect((await partitionCells()).map((r) => r[3])).toEqual(['0', '0', '0', '0']);

  // A deep link to the other account's subscription shows nothing of it.
  await page.goto(`${h.url}/console/#/streams/${beta.sub}`);
  await see.contains(page.getByRole('alert'), 'not found');
  expect(await page.content()).not.toContain('beta-warehouse');
  await page.close();
});

test('an admin key picks the account; a long list pages with Load more', async () => {
  const { alpha, beta } = tenants;
  page = await signInToConsole(browser, h.url, TEST_API_KEY);
  // Switch accounts from another screen than the overview, so that the overview's heading says the switch is done
  // (switching on the overview re-renders it, and a late render can land over the next screen).
  await consoleListRows(page, 'Streams');
  await page.getByLabel('Account').selectOption(beta.id);
  await see.visible(page.getByRole('heading', { name: 'Overview' }));
  let rows = await consoleListRows(page, 'Streams');
  expect(rows).toHaveLength(50);
  expect(rows.join('\n')).not.toContain('beta-warehouse');
  expect(rows.join('\n')).not.toContain('alpha-ledger');
  await page.getByRole('button', { name: 'Load more' }).click();
  await see.count(page.locator('main table.list tbody tr'), 51);
  await see.contains(page.locator('main table.list tbody tr').last(), 'beta-warehouse');
  // Beta's log is its own: Alpha's 12 events are no lag of Beta's (readFrom begin).
  expect(await page.locator('main table.list tbody tr').last().locator('td.num').allTextContents()).toEqual(['0', '0']);
  expect(await page.getByRole('button', { name: 'Load more' }).isHidden()).toBe(true);

  await page.getByLabel('Account').selectOption(alpha.id);
  await see.visible(page.getByRole('heading', { name: 'Overview' }));
  rows = await consoleListRows(page, 'Streams');
  expect(rows).toHaveLength(1);
  expect(rows[0]).toContain('alpha-ledger');
  await page.close();
});
