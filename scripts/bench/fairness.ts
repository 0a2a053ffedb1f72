/**
 * `npm run bench -- --accounts`: does one account's burst starve another? Account A posts
 * `burst` events as fast as `concurrency` clients can while account B posts one event every
 * `gapMs`; B's accept→delivered latency is reported next to B alone (the same pacing with A idle).
 * Each account has one webhook. The burst runs twice when `--a-limit N` is given: first with no
 * limit (what Herald's scheduling does by itself), then with A's `eventsPerSecond` at N (A's clients
 * then wait out each 429's Retry-After and send again, until all of A's events are in).
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
  let refused = 0;
  const call = async (key: string, method: string, path: string, body: unknown): Promise<any> => {
    const res = await fetch(`${o.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json()) as any;
    if (res.status === 429) {
      // What a well-behaved client of a limited account does: wait as told, then send again.
      refused++;
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
      return call(key, method, path, body);
    }
    if (res.status >= 300) throw Object.assign(new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`), { status: res.status });
    return json;
  };
  const accountIds: Record<string, string> = {};
  const tenant = async (name: string, fields: Record<string, unknown>) => {
    const account = await call(o.adminKey, 'POST', '/v1/accounts', { name, ...fields });
    accountIds[name] = account.id;
    const { key } = await call(o.adminKey, 'POST', `/v1/accounts/${account.id}/keys`, {});
    await call(key, 'POST', '/v1/webhooks', { name: `${name}-hook`, eventTypes: ['fair.event'], url: `${o.receiver.url}/${name}` });
    const post: PostEvent = async (i, type) => {
      const r = await call(key, 'POST', '/v1/events', { type, data: { i }, entityIds: [`e-${i % 50}`] });
      return (r.notifications as Array<{ id: string }>).map((n) => n.id);
    };
    return post;
  };
  const postA = await tenant('a', {});
  const postB = await tenant('b', {});
  const rate = 1000 / o.gapMs;
  const lines = (name: string, accepted: Accepted) => {
    const lat = summarize(latencies(accepted.at, o.receiver.arrivals));
    o.report.set(`${name}.events`, accepted.at.size);
    if (accepted.errors) o.report.set(`${name}.api_errors`, accepted.errors);
    for (const k of ['p50', 'p95', 'p99', 'max'] as const) o.report.set(`${name}.latency_ms.${k}`, lat[k], 1);
    return lat;
  };

  // B alone: 15 s at its pace.
  const alone = await paced(postB, rate, 15, 'fair.event', 0);
  await o.arrivedWithin(alone.at.keys());
  const bAlone = lines('fairness.b_alone', alone);

  /** A's burst of o.burst events; B at its pace for as long as A's events are being accepted and delivered. */
  const underBurst = async (name: string, offset: number) => {
    refused = 0;
    const t0 = performance.now();
    let burstDone = false;
    const burst = closedLoop((i, type) => postA(offset + i, type), o.burst, o.concurrency, 'fair.event').then(async (accepted) => {
      o.report.set(`${name}.a.ingest_events_per_s`, accepted.at.size / (accepted.ingestMs / 1000), 1);
      if (accepted.errors) o.report.set(`${name}.a.failed`, accepted.errors);
      o.report.set(`${name}.a.answered_429`, refused);
      await o.arrivedWithin(accepted.at.keys());
      o.report.set(`${name}.a.delivered_per_s`, accepted.at.size / ((performance.now() - t0) / 1000), 1);
      burstDone = true;
    });
    const underAt = new Map<string, number>();
    let errors = 0;
    for (let i = 0; !burstDone; i++) {
      const b = await paced(postB, rate, 1, 'fair.event', offset + i * 100);
      for (const [id, at] of b.at) underAt.set(id, at);
      errors += b.errors;
    }
    await burst;
    await o.arrivedWithin(underAt.keys());
    const bUnder = lines(`${name}.b`, { at: underAt, ingestMs: 0, errors });
    o.report.set(`${name}.b_p99_over_alone`, bUnder.p99 / Math.max(0.001, bAlone.p99), 2);
    o.report.set(`${name}.b_p50_over_alone`, bUnder.p50 / Math.max(0.001, bAlone.p50), 2);
  };

  await underBurst('fairness.unlimited', 100_000);
  if (o.aLimit) {
    // The same burst once A's account has its ingest limit.
    await call(o.adminKey, 'PATCH', `/v1/accounts/${accountIds.a}`, { eventsPerSecond: o.aLimit });
    o.report.set('fairness.limited.a_events_per_second_limit', o.aLimit);
    await underBurst('fairness.limited', 1_000_000);
  }
}
