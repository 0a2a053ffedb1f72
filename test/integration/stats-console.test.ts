/**
 * The console's delivery charts in Chromium, for rollups seeded with known counts: the series uPlot
 * draws (its `data`, kept on each chart's figure) are read back and checked number by number, on the
 * overview (the account) and on a webhook's page (that webhook only), per minute and per hour; the
 * summary says the same in words; the page logs no error (a Content-Security-Policy violation would).
 *
 * `HERALD_SCREENSHOTS=<dir> npx jest test/integration/stats-console.test.ts` also saves what it saw.
 */
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { TEST_API_KEY, useHeraldAndReceiver } from '../helpers/herald';
import { launchBrowser, see, signInToConsole } from '../helpers/browser';
import { addAttempt, emptyTally, floorTo, HOUR_MS, latencyPercentile, mergeTally, MINUTE_MS, minuteKey, hourKey, OUTCOMES, packTallies, type Outcome, type Tally } from '../../src/stats/tally';
import { ROLLUP_LEVELS } from '../../src/models/delivery-rollup';

const { h } = useHeraldAndReceiver({ worker: false });

const shots = process.env.HERALD_SCREENSHOTS ? path.resolve(process.env.HERALD_SCREENSHOTS) : null;
async function shot(name: string, section: string): Promise<void> {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.locator(section).screenshot({ path: path.join(shots, `${name}.png`) });
}
let browser: Browser;
let page: Page;
const errors: string[] = [];
const hooks = { a: '', b: '' };
const now = Date.now();
const recent = floorTo(now, MINUTE_MS) - 3 * MINUTE_MS; // three minutes ago
const earlier = floorTo(now, MINUTE_MS) - 10 * MINUTE_MS;
const hoursAgo = floorTo(now, HOUR_MS) - 5 * HOUR_MS; // a compacted hour

function tally(attempts: Array<[Outcome, number, number]>): Tally {
  const t = emptyTally();
  for (const [outcome, n, ms] of attempts) for (let i = 0; i < n; i++) addAttempt(t, outcome, ms + i);
  return t;
}

// What is seeded: A succeeds fast and fails some; B times out.
const seeded = {
  aRecent: tally([['success', 4, 10], ['success', 1, 300], ['http_status', 2, 120]]),
  bRecent: tally([['timeout', 3, 1000]]),
  aEarlier: tally([['success', 3, 40]]),
  aHour: tally([['success', 20, 50], ['connection', 5, 2]]),
};

beforeAll(async () => {
  for (const k of ['a', 'b'] as const) {
    const res = await h.api('POST', '/v1/webhooks', { name: `chart-${k}`, eventTypes: ['chart.test'], url: `http://127.0.0.1:9/${k}` });
    expect(res.status).toBe(201);
    hooks[k] = res.body.id;
  }
  // Two writers' flushes of one minute, one of another, and an hour compacted earlier.
  const doc = (id: string, level: number, at: number, tallies: Array<[string, Tally]>) => ({ _id: id, level, at: new Date(at), w: packTallies(new Map(tallies)) });
  await h.models.DeliveryRollup.insertMany([
    doc(`default|${minuteKey(recent)}|aaaa0001|000001`, ROLLUP_LEVELS.flush, recent, [[hooks.a, seeded.aRecent]]),
    doc(`default|${minuteKey(recent)}|bbbb0002|000001`, ROLLUP_LEVELS.flush, recent, [[hooks.b, seeded.bRecent]]),
    doc(`default|${minuteKey(earlier)}|~1`, ROLLUP_LEVELS.minute, earlier, [[hooks.a, seeded.aEarlier]]),
    doc(`default|${hourKey(hoursAgo)}|~1`, ROLLUP_LEVELS.hour, hoursAgo, [[hooks.a, seeded.aHour]]),
  ]);
  browser = await launchBrowser();
  page = await signInToConsole(browser, h.url, TEST_API_KEY);
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

interface Drawn {
  labels: string[];
  data: Array<Array<number | null>>;
}

/** The series a chart of `section` draws (uPlot's own data), once it has `points` points. */
async function drawn(section: string, chart: 'deliveries' | 'latency', points: number): Promise<Drawn> {
  const fig = page.locator(`${section} figure[data-chart="${chart}"]`);
  await see.visible(fig);
  let last: Drawn | null = null;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    last = await fig.evaluate((el: any) => ({ labels: el.uplot.series.map((s: any) => s.label ?? null), data: el.uplot.data.map((s: any) => Array.from(s)) }));
    if (last.data[0].length === points) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`${section} ${chart}: ${last?.data[0].length} points, not ${points}`);
}

/** At time `at`: each outcome's count as drawn, and p50/p95. */
function pointAt(deliveries: Drawn, latency: Drawn, at: number) {
  const i = deliveries.data[0].indexOf(at / 1000);
  expect(i).toBeGreaterThanOrEqual(0);
  const outcomes = Object.fromEntries(OUTCOMES.map((o, k) => [o, deliveries.data[k + 1][i]]));
  return { outcomes, p50: latency.data[1][i], p95: latency.data[2][i] };
}

function expected(...tallies: Tally[]) {
  const t = tallies.reduce((a, b) => mergeTally(a, b), emptyTally());
  return { outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, t.attempts[o] ?? 0])), p50: latencyPercentile(t, 0.5), p95: latencyPercentile(t, 0.95) };
}

const total = (d: Drawn) => d.data.slice(1).reduce((sum, s) => sum + s.reduce<number>((a, v) => a + (v ?? 0), 0), 0);

test('the overview draws the account: per minute over the last hour, then per hour over the day', async () => {
  const section = 'section.deliveries[data-webhook-id=""]';
  await see.visible(page.getByRole('heading', { name: 'Deliveries (all webhooks)' }));
  let deliveries = await drawn(section, 'deliveries', 60);
  let latency = await drawn(section, 'latency', 60);
  expect(deliveries.labels.slice(1)).toEqual(OUTCOMES.map((o) => o.replace('_', ' ')));
  expect(latency.labels.slice(1)).toEqual(['p50', 'p95']);
  expect(pointAt(deliveries, latency, recent)).toEqual(expected(seeded.aRecent, seeded.bRecent));
  expect(pointAt(deliveries, latency, earlier)).toEqual(expected(seeded.aEarlier));
  // Nothing else in the hour: the compacted hour is five hours old.
  expect(total(deliveries)).toBe(7 + 3 + 3);
  await see.contains(page.locator(`${section} .chart-summary`), '13 deliveries: 8 succeeded, 2 http status, 3 timeout.');
  await shot('charts-account-hour', section);

  await page.locator(section).getByLabel('Chart window').selectOption('day');
  deliveries = await drawn(section, 'deliveries', 24);
  latency = await drawn(section, 'latency', 24);
  expect(pointAt(deliveries, latency, hoursAgo)).toEqual(expected(seeded.aHour));
  // The two recent minutes are one hour's bucket, unless they straddle an hour.
  const recentHour = floorTo(recent, HOUR_MS);
  const sameHour = floorTo(earlier, HOUR_MS) === recentHour;
  expect(pointAt(deliveries, latency, recentHour)).toEqual(sameHour ? expected(seeded.aRecent, seeded.bRecent, seeded.aEarlier) : expected(seeded.aRecent, seeded.bRecent));
  expect(total(deliveries)).toBe(13 + 25);
  await shot('charts-account-day', section);
  // Every point empty of latencies is a gap, not a zero.
  expect(latency.data[1].filter((v) => v !== null)).toHaveLength(sameHour ? 2 : 3);
});

test("a webhook's page draws that webhook only", async () => {
  await page.goto(`${h.url}/console/#/webhooks/${hooks.a}`);
  await see.visible(page.getByRole('heading', { name: 'chart-a', level: 1 }));
  const section = `section.deliveries[data-webhook-id="${hooks.a}"]`;
  const deliveries = await drawn(section, 'deliveries', 60);
  const latency = await drawn(section, 'latency', 60);
  expect(pointAt(deliveries, latency, recent)).toEqual(expected(seeded.aRecent));
  expect(pointAt(deliveries, latency, earlier)).toEqual(expected(seeded.aEarlier));
  expect(total(deliveries)).toBe(10);
  await see.contains(page.locator(`${section} .chart-summary`), '10 deliveries: 8 succeeded, 2 http status.');

  await page.goto(`${h.url}/console/#/webhooks/${hooks.b}`);
  const b = `section.deliveries[data-webhook-id="${hooks.b}"]`;
  const bDeliveries = await drawn(b, 'deliveries', 60);
  expect(pointAt(bDeliveries, await drawn(b, 'latency', 60), recent)).toEqual(expected(seeded.bRecent));
  expect(total(bDeliveries)).toBe(3);
});

test('the charts load under the console Content-Security-Policy without an error', async () => {
  expect(errors).toEqual([]);
  const res = await fetch(`${h.url}/console/vendor/uPlot.esm.js`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect((await fetch(`${h.url}/console/vendor/uPlot.cjs.js`)).status).toBe(404);
  expect((await fetch(`${h.url}/console/vendor/..%2Fpackage.json`)).status).toBe(404);
});
