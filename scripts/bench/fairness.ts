/**
 * `npm run bench -- --accounts`: does one account's burst starve another? Account A posts
 * `burst` events as fast as `concurrency` clients can while account B posts one event every
 * `gapMs`; B's accept→delivered latency is reported next to B alone (the same pacing with A idle).
 * Each account has one webhook; A's `eventsPerSecond` is left unset unless `--a-limit` is given,
 * so the figures show what Herald's scheduling does by itself and what the ingest limit adds.
 */
import { closedLoop, latencies, paced, type Accepted, type PostEvent } from './load';
import { summarize } from './stats';
import type { Report } from './report';
import type { BenchReceiver } from './receiver';

export interface FairnessOptions {
  url: string;
  adminKey: string;
  receiver: BenchReceiver;
  report: Report;
  burst: number;
  concurrency: number;
  /** B's pace: one event every gapMs. */
  gapMs: number;
  /** A's eventsPerSecond, or null. */
  aLimit: number | null;
  arrivedWithin(ids: Iterable<string>): Promise<void>;
}

export async function runFairness(o: FairnessOptions): Promise<void> {
  const call = async (key: string, method: string, path: string, body: unknown) => {
    const res = await fetch(`${o.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json()) as any;
    if (res.status >= 300) throw Object.assign(new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`), { status: res.status });
    return json;
  };
  const tenant = async (name: string, fields: Record<string, unknown>) => {
    const account = await call(o.adminKey, 'POST', '/v1/accounts', { name, ...fields });
    const { key } = await call(o.adminKey, 'POST', `/v1/accounts/${account.id}/keys`, {});
    await call(key, 'POST', '/v1/webhooks', { name: `${name}-hook`, eventTypes: ['fair.event'], url: `${o.receiver.url}/${name}` });
    const post: PostEvent = async (i, type) => {
      const r = await call(key, 'POST', '/v1/events', { type, data: { i }, entityIds: [`e-${i % 50}`] });
      return (r.notifications as Array<{ id: string }>).map((n) => n.id);
    };
    return post;
  };
  const postA = await tenant('a', { eventsPerSecond: o.aLimit });
  const postB = await tenant('b', {});
  const rate = 1000 / o.gapMs;
  const lines = (name: string, accepted: Accepted) => {
    const lat = summarize(latencies(accepted.at, o.receiver.arrivals));
    o.report.set(`${name}.events`, accepted.at.size);
    if (accepted.errors) o.report.set(`${name}.api_errors`, accepted.errors);
    for (const k of ['p50', 'p95', 'p99', 'max'] as const) o.report.set(`${name}.latency_ms.${k}`, lat[k], 1);
    return lat;
  };

  // B alone: as long as the burst phase will take, at least 10 s.
  const aloneSeconds = 15;
  const alone = await paced(postB, rate, aloneSeconds, 'fair.event', 0);
  await o.arrivedWithin(alone.at.keys());
  const bAlone = lines('fairness.b_alone', alone);

  // B under A's burst: B paced for as long as A's burst is being accepted and delivered.
  const t0 = performance.now();
  let burstDone = false;
  const burst = closedLoop(postA, o.burst, o.concurrency, 'fair.event').then(async (accepted) => {
    o.report.set('fairness.a.ingest_events_per_s', accepted.at.size / (accepted.ingestMs / 1000), 1);
    if (accepted.errors) o.report.set('fairness.a.refused_or_failed', accepted.errors);
    await o.arrivedWithin(accepted.at.keys());
    o.report.set('fairness.a.delivered_per_s', accepted.at.size / ((performance.now() - t0) / 1000), 1);
    burstDone = true;
    return accepted;
  });
  const underAt = new Map<string, number>();
  let errors = 0;
  for (let i = 0; !burstDone; i++) {
    const b = await paced(postB, rate, 1, 'fair.event', 100_000 + i * 100);
    for (const [id, at] of b.at) underAt.set(id, at);
    errors += b.errors;
  }
  await burst;
  await o.arrivedWithin(underAt.keys());
  const bUnder = lines('fairness.b_under_burst', { at: underAt, ingestMs: 0, errors });
  o.report.set('fairness.p99_ratio_under_over_alone', bUnder.p99 / Math.max(0.001, bAlone.p99), 2);
  o.report.set('fairness.p50_ratio_under_over_alone', bUnder.p50 / Math.max(0.001, bAlone.p50), 2);
}
