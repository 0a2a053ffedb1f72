/**
 * The ceiling: this machine POSTing the bodies Herald delivered straight to the same receiver,
 * with the same number in flight, through an undici Agent like Herald's delivery agent.
 */
import { Agent, request } from 'undici';
import type { DeliveredRequest } from './receiver';

export async function runBaseline(
  receiverUrl: string,
  requests: readonly DeliveredRequest[],
  concurrency: number,
  minMs = 2000,
): Promise<{ sent: number; ms: number; perSecond: number }> {
  if (requests.length === 0) throw new Error('baseline: no delivered requests to replay');
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
  let sent = 0;
  const t0 = performance.now();
  // Replays the whole set (in order, round after round) until at least minMs has passed, so a
  // sub-second run does not decide the figure.
  let next = 0;
  const more = () => next % requests.length !== 0 || performance.now() - t0 < minMs;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next === 0 || more()) {
          const r = requests[next++ % requests.length];
          const res = await request(`${receiverUrl}${r.path}`, { method: 'POST', headers: r.headers, body: r.body, dispatcher });
          await res.body.dump();
          if (res.statusCode !== 200) throw new Error(`baseline: receiver answered ${res.statusCode}`);
          sent++;
        }
      }),
    );
  } finally {
    await dispatcher.close();
  }
  const ms = performance.now() - t0;
  return { sent, ms, perSecond: sent / (ms / 1000) };
}
