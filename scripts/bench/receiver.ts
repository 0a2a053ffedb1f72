/**
 * The bench's receiver on 127.0.0.1: answers 200 at once, notes when each notification arrived
 * (its `webhook-id` header is the notification id), keeps what Herald sent (for the baseline to
 * send the same bodies), and counts TCP connections opened to it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DeliveredRequest {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface BenchReceiver {
  url: string;
  arrivals: Map<string, number>;
  /** Requests as Herald sent them, kept while `keepRequests` is true. */
  requests: DeliveredRequest[];
  keepRequests: boolean;
  /** Requests without a webhook-id (the baseline's), counted only. */
  anonymous: number;
  connections: number;
  /** Resolves once every id has arrived. */
  waitFor(ids: Iterable<string>): Promise<void>;
  close(): Promise<void>;
}

export async function startBenchReceiver(): Promise<BenchReceiver> {
  const waiters: Array<{ pending: Set<string>; resolve: () => void }> = [];
  const state: BenchReceiver = {
    url: '',
    arrivals: new Map(),
    requests: [],
    keepRequests: false,
    anonymous: 0,
    connections: 0,
    waitFor(ids) {
      const pending = new Set([...ids].filter((id) => !state.arrivals.has(id)));
      if (pending.size === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ pending, resolve }));
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      res.end('ok');
      const id = req.headers['webhook-id'];
      if (typeof id !== 'string') {
        state.anonymous++;
        return;
      }
      if (!state.arrivals.has(id)) state.arrivals.set(id, at);
      if (state.keepRequests) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'connection', 'content-length', 'webhook-id'].includes(k)) headers[k] = v;
        state.requests.push({ path: req.url ?? '/', headers, body: Buffer.concat(chunks) });
      }
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i];
        w.pending.delete(id);
        if (w.pending.size === 0) {
          waiters.splice(i, 1);
          w.resolve();
        }
      }
    });
  });
  server.on('connection', () => state.connections++);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
