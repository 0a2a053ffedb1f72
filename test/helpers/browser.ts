/**
 * Headless Chromium for the console tests: Debian's `chromium` package (installed by .ci/run),
 * driven by playwright-core (which downloads no browser of its own).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string {
  const found = [process.env.HERALD_CHROMIUM, ...CANDIDATES].find((p): p is string => Boolean(p) && existsSync(p!));
  if (!found) throw new Error(`no Chromium found (looked at ${CANDIDATES.join(', ')}; set HERALD_CHROMIUM): run .ci/run, or apt-get install chromium`);
  return found;
}

export function launchBrowser(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium refuses its sandbox.
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

/**
 * Waiting assertions on a page (playwright-core has locators but not @playwright/test's expect):
 * each polls until the condition holds or fails with what it last saw.
 */
async function until(what: string, read: () => Promise<unknown>, ok: (v: unknown) => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await read();
      if (ok(last)) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const matches = (expected: string | RegExp, contains: boolean) => (v: unknown) =>
  typeof v === 'string' && (expected instanceof RegExp ? expected.test(v) : contains ? v.includes(expected) : v.trim() === expected);

export const see = {
  visible: (loc: Locator, timeoutMs = 10_000) => loc.first().waitFor({ state: 'visible', timeout: timeoutMs }),
  text: (loc: Locator, expected: string | RegExp, timeoutMs = 10_000) =>
    until(`${loc} to have text ${expected}`, () => loc.first().textContent(), matches(expected, false), timeoutMs),
  contains: (loc: Locator, expected: string | RegExp, timeoutMs = 10_000) =>
    until(`${loc} to contain ${expected}`, () => loc.first().textContent(), matches(expected, true), timeoutMs),
  value: (loc: Locator, expected: string | RegExp, timeoutMs = 10_000) =>
    until(`${loc} to have value ${expected}`, () => loc.inputValue(), matches(expected, false), timeoutMs),
  attribute: (loc: Locator, name: string, expected: string, timeoutMs = 10_000) =>
    until(`${loc} to have ${name}=${expected}`, () => loc.getAttribute(name), (v) => v === expected, timeoutMs),
  count: (loc: Locator, n: number, timeoutMs = 10_000) => until(`${loc} to count ${n}`, () => loc.count(), (v) => v === n, timeoutMs),
  checked: (loc: Locator, checked: boolean, timeoutMs = 10_000) => until(`${loc} checked=${checked}`, () => loc.isChecked(), (v) => v === checked, timeoutMs),
  url: (page: Page, re: RegExp, timeoutMs = 10_000) => until(`the URL to match ${re}`, async () => page.url(), (v) => re.test(String(v)), timeoutMs),
};

/** A new page on the console at `baseUrl`, signed in with `key`: resolves once the Overview shows. */
export async function signInToConsole(browser: Browser, baseUrl: string, key: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${baseUrl}/console`);
  await page.getByLabel('API key').fill(key);
  await page.keyboard.press('Enter');
  await see.visible(page.getByRole('heading', { name: 'Overview' }));
  return page;
}

/**
 * Follows the nav link `screen` (e.g. 'Webhooks') to its list and returns the texts of the list's
 * rows, once its heading and the table (or the muted paragraph of an empty list) show.
 */
export async function consoleListRows(page: Page, screen: string): Promise<string[]> {
  await page.getByRole('link', { name: screen, exact: true }).click();
  // The screen's own title (h1, exact): the overview still shown has an h2 "Webhooks at a glance".
  await see.visible(page.getByRole('heading', { name: screen, exact: true, level: 1 }));
  await see.visible(page.locator('main table.list tbody tr, main p.muted').first());
  return page.locator('main table.list tbody tr').allTextContents();
}
