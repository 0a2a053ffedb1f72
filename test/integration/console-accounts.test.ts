/**
 * The console with accounts, in a real browser (headless Chromium) on the real stack: an account
 * key shows its account's name and only its webhooks, never another account's; an admin key gets
 * an account picker and sees each account's webhooks only while that account is picked.
 */
import type { Browser, Page } from 'playwright-core';
import { eventually, TEST_API_KEY, useHeraldAndReceiver } from '../helpers/herald';
import { consoleListRows, launchBrowser, see, signInToConsole } from '../helpers/browser';

const { h, receiver } = useHeraldAndReceiver();
let browser: Browser;
let page: Page;
const tenants: Array<{ id: string; key: string; name: string }> = [];

beforeAll(async () => {
  browser = await launchBrowser();
  for (const name of ['Alpha Bank', 'Beta Bank']) {
    const account = await h.api('POST', '/v1/accounts', { name });
    const key = await h.api('POST', `/v1/accounts/${account.body.id}/keys`, {});
    const tenant = { id: account.body.id as string, key: key.body.key as string, name };
    tenants.push(tenant);
    const hook = await h.api('POST', '/v1/webhooks', { name: `${name} hook`, eventTypes: ['x.y'], url: `${receiver.url}/x` }, { authorization: `Bearer ${tenant.key}` });
    expect(hook.status).toBe(201);
  }
});
afterAll(async () => {
  await browser?.close();
});

test("an account key sees its account's name and webhooks, never another account's", async () => {
  const [alpha, beta] = tenants;
  page = await signInToConsole(browser, h.url, alpha.key);
  await see.text(page.locator('#account .account'), alpha.name);
  expect(await page.locator('#account select').count()).toBe(0);
  const rows = await consoleListRows(page, 'Webhooks');
  expect(rows.join('\n')).toContain('Alpha Bank hook');
  expect(rows.join('\n')).not.toContain('Beta Bank hook');
  // Even a deep link to the other account's webhook shows nothing of it.
  const betaHook = (await h.api('GET', '/v1/webhooks', undefined, { authorization: `Bearer ${beta.key}` })).body.data[0].id;
  await page.goto(`${h.url}/console/#/webhooks/${betaHook}`);
  await see.contains(page.getByRole('alert'), 'not found');
  expect(await page.content()).not.toContain('Beta Bank hook');
  await page.close();
});

test('an admin key picks the account: each one shows only its own webhooks', async () => {
  const [alpha, beta] = tenants;
  page = await signInToConsole(browser, h.url, TEST_API_KEY);
  const picker = page.getByLabel('Account');
  await see.visible(picker);
  expect(await picker.locator('option').allTextContents()).toEqual(expect.arrayContaining(['Alpha Bank', 'Beta Bank']));
  await picker.selectOption(beta.id);
  await see.visible(page.getByRole('heading', { name: 'Overview' }));
  let rows = (await consoleListRows(page, 'Webhooks')).join('\n');
  expect(rows).toContain('Beta Bank hook');
  expect(rows).not.toContain('Alpha Bank hook');
  await page.getByLabel('Account').selectOption(alpha.id);
  await see.visible(page.getByRole('heading', { name: 'Overview' }));
  rows = (await consoleListRows(page, 'Webhooks')).join('\n');
  expect(rows).toContain('Alpha Bank hook');
  expect(rows).not.toContain('Beta Bank hook');
  expect(await page.evaluate('sessionStorage.getItem("herald.account")')).toBe(alpha.id);
  await page.close();
});

test('a screen left before its answers came never renders over the next one', async () => {
  const [alpha] = tenants;
  page = await signInToConsole(browser, h.url, TEST_API_KEY);
  // Hold the overview's statistics (asked with `since`; the Webhooks screen asks without): switching
  // accounts starts an overview whose answer comes late.
  const overviewStats = (url: URL) => url.pathname.endsWith('/v1/stats/webhooks') && url.searchParams.has('since');
  const held: Array<() => Promise<void>> = [];
  await page.route(overviewStats, (r) => {
    held.push(() => r.continue());
  });
  await page.getByLabel('Account').selectOption(alpha.id);
  await eventually(async () => held.length > 0, 10_000, "the new overview asking for its statistics");
  const rows = (await consoleListRows(page, 'Webhooks')).join('\n');
  expect(rows).toContain('Alpha Bank hook');

  // Now the overview's answer arrives, after the Webhooks screen rendered.
  const answered = page.waitForResponse((res) => overviewStats(new URL(res.url())));
  for (const release of held) await release();
  await answered;
  await page.unroute(overviewStats);
  // What must not happen has no event to await: give the page's event loop the turns in which the
  // overview would render (without the guard it does, within a few milliseconds).
  await page.evaluate(() => new Promise((r) => setTimeout(r, 200)));
  expect(await page.getByRole('heading', { name: 'Overview' }).count()).toBe(0);
  await see.visible(page.getByRole('heading', { name: 'Webhooks' }));
  expect((await page.locator('main table.list tbody tr').allTextContents()).join('\n')).toContain('Alpha Bank hook');
  await page.close();
});
