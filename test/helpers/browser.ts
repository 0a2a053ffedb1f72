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
