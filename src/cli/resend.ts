/**
 * `herald resend <id>`: the `resend` signal, through Temporal (signal-with-start, so it works on a
 * closed workflow too). `herald resend --failed [--since 2h] [--webhook wh_...]`: every matching
 * notification, with a progress bar, signalled from here (no API or job needed).
 */
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { notFound } from '../errors';
import { parseSince, type NotificationFilter } from '../models/notification-filter';
import { resendMany, resendQuery } from '../delivery/resend';
import { signalResend } from '../temporal';
import { notificationWorkflowId } from '../../workflows/shared';
import { cliConfig, withDatabase, withTemporal } from './context';

interface ResendOptions {
  failed?: boolean;
  since?: string;
  until?: string;
  webhook?: string;
  eventType?: string;
  reason?: string;
}

export function registerResendCommand(program: Command): void {
  program
    .command('resend')
    .description('resend a notification (the `resend` signal), or every failed one with --failed')
    .argument('[notificationId]', 'the notification to resend')
    .option('--failed', 'resend every failed notification (narrow with --since, --webhook, --event-type)')
    .option('--since <when>', 'only notifications created since an ISO date-time or a duration ago (30m, 2h, 7d)')
    .option('--until <when>', 'only notifications created until an ISO date-time or a duration ago')
    .option('--webhook <id>', 'only notifications of this webhook')
    .option('--event-type <type>', 'only notifications of this event type')
    .option('--reason <text>', 'recorded with the signal in the workflow history')
    .action(async (id: string | undefined, opts: ResendOptions) => {
      if (id && opts.failed) throw new Error('give either a notification id or --failed, not both');
      if (!id && !opts.failed) throw new Error('give a notification id, or --failed to resend failed notifications');
      const config = cliConfig();
      const args = opts.reason ? { reason: opts.reason } : {};
      if (id) {
        await withDatabase(config, (db) =>
          withTemporal(config, async (t) => {
            const n = await db.models.Notification.findById(id, { webhookId: 1, eventType: 1, 'request.method': 1, 'request.url': 1 }).lean();
            if (!n) throw notFound(`Notification ${id}`);
            await signalResend(t, { id: n._id, webhookId: n.webhookId, eventType: n.eventType, method: n.request?.method, url: n.request?.url }, args);
            process.stdout.write(`resend signalled for ${id} (workflow ${notificationWorkflowId(id)})\n`);
          }),
        );
        return;
      }
      const now = new Date();
      const filter: NotificationFilter = {
        status: 'failed',
        webhookId: opts.webhook,
        eventType: opts.eventType,
        since: opts.since ? parseSince(opts.since, now) : undefined,
        until: opts.until ? parseSince(opts.until, now) : undefined,
      };
      await withDatabase(config, (db) =>
        withTemporal(config, async (t) => {
          const total = await db.models.Notification.countDocuments(resendQuery(filter, now));
          const bar = new SingleBar({ format: 'resending [{bar}] {value}/{total} {percentage}%', hideCursor: true }, Presets.shades_classic);
          bar.start(total, 0);
          const done = await resendMany(db.models, t, filter, { notAfter: now, args, onProgress: (p) => bar.update(p.resent + p.skipped) });
          bar.update(done.resent + done.skipped);
          bar.stop();
          process.stdout.write(`resent ${done.resent} of ${total} failed notification(s)${done.skipped ? `; skipped ${done.skipped} with nothing to send` : ''}\n`);
        }),
      );
    });
}
