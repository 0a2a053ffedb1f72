/**
 * The three ways the bench drives the API: as fast as C clients can (throughput), open-loop at a
 * fixed rate (paced), and one event at a time. Each returns when each event's notification ids
 * were accepted and at what time (performance.now() when the 202 came back).
 */
export type PostEvent = (i: number, type: string) => Promise<string[]>;

export interface Accepted {
  /** notification id → when its event was accepted. */
  at: Map<string, number>;
  /** Wall time from the first POST to the last answer. */
  ingestMs: number;
  errors: number;
}

export async function closedLoop(post: PostEvent, events: number, concurrency: number, type: string): Promise<Accepted> {
  const at = new Map<string, number>();
  let errors = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events) {
        const i = next++;
        try {
          const ids = await post(i, type);
          const now = performance.now();
          for (const id of ids) at.set(id, now);
        } catch {
          errors++;
        }
      }
    }),
  );
  return { at, ingestMs: performance.now() - t0, errors };
}

/** Event i is sent at t0 + i/rate whatever happened to the earlier ones (open loop: no coordinated omission). */
export async function paced(post: PostEvent, ratePerSecond: number, seconds: number, type: string, offset: number): Promise<Accepted> {
  const total = Math.max(1, Math.round(ratePerSecond * seconds));
  const at = new Map<string, number>();
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(
      post(offset + i, type).then(
        (ids) => {
          const now = performance.now();
          for (const id of ids) at.set(id, now);
        },
        () => {
          errors++;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  return { at, ingestMs: performance.now() - t0, errors };
}

/** One event, wait until its notifications arrived, pause `gapMs`, next. */
export async function oneAtATime(
  post: PostEvent,
  count: number,
  gapMs: number,
  type: string,
  offset: number,
  arrived: (ids: string[]) => Promise<void>,
): Promise<Accepted> {
  const at = new Map<string, number>();
  let errors = 0;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    try {
      const ids = await post(offset + i, type);
      const now = performance.now();
      for (const id of ids) at.set(id, now);
      await arrived(ids);
    } catch {
      errors++;
    }
    await new Promise((r) => setTimeout(r, gapMs));
  }
  return { at, ingestMs: performance.now() - t0, errors };
}

/** Latencies (received − accepted) of the notifications that arrived. */
export function latencies(accepted: Map<string, number>, arrivals: Map<string, number>): number[] {
  const out: number[] = [];
  for (const [id, acceptedAt] of accepted) {
    const arrivedAt = arrivals.get(id);
    if (arrivedAt !== undefined) out.push(arrivedAt - acceptedAt);
  }
  return out;
}
