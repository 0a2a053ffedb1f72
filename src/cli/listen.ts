/**
 * `herald listen [--port 4000] [--secret whsec_...]`: a local receiver for trying Herald out. It
 * prints every request (method, path, headers, body) and, given the webhook's secret, verifies
 * the Standard Webhooks signature with the reference `standardwebhooks` library: a bad signature
 * gets 401, like a careful receiver would answer.
 */
import http from 'node:http';
import type { Command } from 'commander';
import { Webhook } from 'standardwebhooks';

export interface ListenOptions {
  port: string;
  host: string;
  secret?: string;
  status: string;
}

export function registerListenCommand(program: Command): void {
  program
    .command('listen')
    .description('run a local receiver that prints each webhook it gets')
    .option('--port <n>', 'port to listen on (0: any free port)', '4000')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--secret <whsec>', "the webhook's signing secret (GET /v1/webhooks/{id}/secret): verify each signature")
    .option('--status <code>', 'HTTP status to answer with', '200')
    .action(async (opts: ListenOptions) => {
      const port = Number(opts.port);
      const status = Number(opts.status);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0..65535');
      if (!Number.isInteger(status) || status < 100 || status > 599) throw new Error('--status must be an HTTP status code');
      const verifier = opts.secret ? new Webhook(opts.secret) : null;
      const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let verdict = 'not checked (no --secret)';
          let code = status;
          if (verifier) {
            try {
              verifier.verify(body, req.headers as Record<string, string>);
              verdict = 'verified';
            } catch (err) {
              verdict = `INVALID (${(err as Error).message})`;
              code = 401;
            }
          }
          const lines = [`--- ${new Date().toISOString()} ${req.method} ${req.url}`, `signature: ${verdict}`];
          for (const [k, v] of Object.entries(req.headers)) lines.push(`${k}: ${Array.isArray(v) ? v.join(', ') : v}`);
          lines.push('', pretty(body, String(req.headers['content-type'] ?? '')), '');
          process.stdout.write(`${lines.join('\n')}\n`);
          res.writeHead(code, { 'content-type': 'text/plain' }).end(code === 401 ? 'invalid signature\n' : 'ok\n');
        });
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, opts.host, resolve);
      });
      const actual = (server.address() as { port: number }).port;
      process.stdout.write(`listening on http://${opts.host}:${actual} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => server.close(() => resolve());
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

function pretty(body: string, contentType: string): string {
  if (contentType.includes('json')) {
    try {
      return JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      // not valid JSON: print as received
    }
  }
  return body;
}
