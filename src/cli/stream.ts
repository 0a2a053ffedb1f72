/**
 * `herald stream SUBSCRIPTION`: a Streaming API consumer on the command line. Prints each event as
 * a JSON line, commits every batch after printing it, and reconnects when a stream ends, resuming
 * after the last commit. Talks to a running Herald API over HTTP, like any consumer.
 */
import type { Command } from 'commander';
import { consumeStream } from '../stream/consumer';

export interface StreamOptions {
  url?: string;
  apiKey?: string;
  batchLimit: string;
  maxEvents: string;
}

export function registerStreamCommand(program: Command): void {
  program
    .command('stream')
    .description('read a stream subscription (POST /v1/subscriptions): print its events, commit as it goes, resume after the last commit')
    .argument('<subscription>', 'the subscription id (sub_...)')
    .option('--url <url>', 'the Herald API (default: HERALD_URL, else http://127.0.0.1:$PORT)')
    .option('--api-key <key>', 'an API key (default: HERALD_API_KEY, else the first of HERALD_API_KEYS)')
    .option('--batch-limit <n>', 'events per batch', '100')
    .option('--max-events <n>', 'stop after this many events (0: run until Ctrl-C)', '0')
    .action(async (subscriptionId: string, opts: StreamOptions) => {
      const url = (opts.url ?? process.env.HERALD_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/$/, '');
      const apiKey = opts.apiKey ?? process.env.HERALD_API_KEY ?? process.env.HERALD_API_KEYS?.split(',')[0]?.trim();
      if (!apiKey) throw new Error('an API key is needed: --api-key, HERALD_API_KEY or HERALD_API_KEYS');
      const batchLimit = Number(opts.batchLimit);
      const maxEvents = Number(opts.maxEvents);
      if (!Number.isInteger(batchLimit) || batchLimit < 1) throw new Error('--batch-limit must be a whole number of at least 1');
      if (!Number.isInteger(maxEvents) || maxEvents < 0) throw new Error('--max-events must be a whole number, 0 or more');
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      await consumeStream({
        url,
        apiKey,
        subscriptionId,
        query: { batch_limit: batchLimit, batch_flush_timeout: 1 },
        maxEvents,
        signal: controller.signal,
        onEvents(events) {
          for (const e of events) process.stdout.write(`${JSON.stringify(e)}\n`);
        },
      });
    });
}
