/**
 * `herald replay [--event <id>] [--type ...] [--entity ...] [--since ...] [--until ...] [--unmatched]`:
 * re-run the fan-out of stored events against today's webhooks, creating notifications only for
 * (event, webhook) pairs that have none, with a progress bar. Runs from here (MongoDB and Temporal
 * directly, like `herald resend --failed`), with the same code as the API's replay job.
 */
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { createLogger } from '../logger';
import { notFound } from '../errors';
import { parseSince } from '../models/notification-filter';
import { countEvents, isEmptyEventFilter, type EventFilter } from '../models/event-filter';
import { replayMany } from '../replay';
import { createConfigCache } from '../config-cache';
import { USER_AGENT } from '../runtime';
import { cliConfig, withDatabase, withTemporal } from './context';

interface ReplayOptions {
  event?: string;
  type?: string;
  entity?: string;
  since?: string;
  until?: string;
  unmatched?: boolean;
}

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('re-run the fan-out of stored events: create the notifications that are missing (idempotent)')
    .option('--event <id>', 'only this event')
    .option('--type <type>', 'only events of this type')
    .option('--entity <id>', 'only events about this entity')
    .option('--since <when>', 'only events accepted since an ISO date-time or a duration ago (30m, 2h, 7d)')
    .option('--until <when>', 'only events accepted until an ISO date-time or a duration ago')
    .option('--unmatched', 'only events that created no notification')
    .action(async (opts: ReplayOptions) => {
      const now = new Date();
      const filter: EventFilter = {
        eventId: opts.event,
        type: opts.type,
        entityId: opts.entity,
        since: opts.since ? parseSince(opts.since, now) : undefined,
        until: opts.until ? parseSince(opts.until, now) : undefined,
        matched: opts.unmatched ? false : undefined,
      };
      if (isEmptyEventFilter(filter)) throw new Error('give at least one of --event, --type, --entity, --since, --until, --unmatched (replaying everything is almost always a mistake)');
      const config = cliConfig();
      const logger = createLogger('warn', process.stderr);
      await withDatabase(config, (db) =>
        withTemporal(config, async (temporal) => {
          const configCache = createConfigCache(db.models);
          if ((await configCache.current()).communications === 'none') {
            throw new Error('settings.webhookCommunications is "none": a replay would create no notification; switch it to "enabled" first');
          }
          const { matched: _matched, ...rest } = filter;
          const total = await countEvents(db.models, { ...rest, until: rest.until && rest.until < now ? rest.until : now });
          if (opts.event && total === 0) throw notFound(`Event ${opts.event}`);
          const bar = new SingleBar({ format: 'replaying [{bar}] {value}/{total} events {percentage}% | {created} created', hideCursor: true }, Presets.shades_classic);
          bar.start(total, 0, { created: 0 });
          let examined = 0;
          const done = await replayMany({ models: db.models, temporal, logger, configCache, userAgent: USER_AGENT }, filter, {
            notAfter: now,
            // With --unmatched, matched events are skipped unseen: advance by what was replayed.
            onProgress: (p) => bar.update(++examined, { created: p.created }),
          });
          bar.update(opts.unmatched ? total : examined, { created: done.created });
          bar.stop();
          process.stdout.write(
            `replayed ${done.events} event(s): ${done.created} notification(s) created for ${done.eventsWithNew} event(s); ` +
              `${done.events - done.eventsWithNew} got none (already complete, or matching no webhook now)\n`,
          );
        }),
      );
    });
}
