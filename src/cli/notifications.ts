/**
 * `herald notifications list [--status failed] [--webhook ...]` and `herald notifications show <id>`:
 * the communication history, read from MongoDB directly (no API key needed on the ops box; the
 * same filters, list and view as `GET /v1/notifications`: src/history/notification-list.ts). `--json` prints what the API would return.
 */
import type { Command } from 'commander';
import { notFound } from '../errors';
import { ATTEMPT_ERROR_KINDS, NOTIFICATION_STATUSES, type AttemptErrorKind, type NotificationStatus } from '../models/notification';
import { parseSince, type NotificationFilter } from '../models/notification-filter';
import { listNotifications, type ListedNotification } from '../history/notification-list';
import { notificationView } from '../routes/notifications';
import { cliConfig, withDatabase } from './context';
import { cappedBody, errorSummary } from './response-body';

interface ListOptions {
  status?: string;
  webhook?: string;
  eventType?: string;
  event?: string;
  entity?: string;
  host?: string;
  statusCode?: string;
  errorKind?: string;
  since?: string;
  until?: string;
  limit: string;
  json?: boolean;
}

export function registerNotificationsCommand(program: Command): void {
  const cmd = program.command('notifications').description('the communication history');

  cmd
    .command('list')
    .description('notifications, newest first')
    .option('--status <status>', `one of ${NOTIFICATION_STATUSES.join(', ')}`)
    .option('--webhook <id>', 'only this webhook')
    .option('--event-type <type>', 'only this event type')
    .option('--event <id>', 'only this event')
    .option('--entity <id>', "only notifications of events about this entity (one of the event's entityIds)")
    .option('--host <host>', 'only notifications sent to this destination host')
    .option('--status-code <code>', "only notifications whose last attempt got this HTTP status")
    .option('--error-kind <kind>', `only notifications whose last attempt failed this way: ${ATTEMPT_ERROR_KINDS.join(', ')}`)
    .option('--since <when>', 'created since an ISO date-time or a duration ago (30m, 2h, 7d)')
    .option('--until <when>', 'created until an ISO date-time or a duration ago')
    .option('--limit <n>', 'at most this many', '20')
    .option('--json', 'print JSON (as the API does)')
    .action(async (opts: ListOptions) => {
      if (opts.status && !(NOTIFICATION_STATUSES as readonly string[]).includes(opts.status)) {
        throw new Error(`--status must be one of ${NOTIFICATION_STATUSES.join(', ')}`);
      }
      if (opts.errorKind && !(ATTEMPT_ERROR_KINDS as readonly string[]).includes(opts.errorKind)) {
        throw new Error(`--error-kind must be one of ${ATTEMPT_ERROR_KINDS.join(', ')}`);
      }
      const statusCode = opts.statusCode === undefined ? undefined : Number(opts.statusCode);
      if (statusCode !== undefined && !(Number.isInteger(statusCode) && statusCode >= 100 && statusCode <= 599)) throw new Error('--status-code must be an HTTP status (100-599)');
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a positive whole number');
      const now = new Date();
      const filter: NotificationFilter = {
        status: opts.status as NotificationStatus | undefined,
        webhookId: opts.webhook,
        eventId: opts.event,
        eventType: opts.eventType,
        entityId: opts.entity,
        destinationHost: opts.host,
        statusCode,
        errorKind: opts.errorKind as AttemptErrorKind | undefined,
        since: opts.since ? parseSince(opts.since, now) : undefined,
        until: opts.until ? parseSince(opts.until, now) : undefined,
      };
      await withDatabase(cliConfig(), async (db) => {
        // The API's list (src/history/notification-list.ts): each filter from its index, entities from
        // their links, a combination no index serves read a bounded batch at a time; pages until `limit`.
        const docs: ListedNotification[] = [];
        let cursor: string | undefined;
        do {
          const page = await listNotifications(db.models, { ...filter, limit: Math.min(200, limit - docs.length), cursor }, { attempts: 0, 'request.body': 0, 'request.headers': 0 });
          docs.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        } while (cursor && docs.length < limit);
        const views = docs.map((d) => notificationView(d as unknown as Parameters<typeof notificationView>[0], { summary: true }));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
          return;
        }
        if (views.length === 0) {
          process.stdout.write('no notifications\n');
          return;
        }
        const rows = views.map((v) => [v.id, v.status, String(v.attemptCount ?? 0), v.eventType, v.webhookName, iso(v.createdAt)]);
        process.stdout.write(table(['ID', 'STATUS', 'ATTEMPTS', 'EVENT TYPE', 'WEBHOOK', 'CREATED'], rows));
      });
    });

  cmd
    .command('show')
    .description('one notification: the request snapshot and every attempt')
    .argument('<id>', 'notification id')
    .option('--json', 'print JSON (as the API does)')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withDatabase(cliConfig(), async (db) => {
        const doc = await db.models.Notification.findById(id).lean();
        if (!doc) throw notFound(`Notification ${id}`);
        const v = notificationView(doc);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
          return;
        }
        const lines = [
          `${v.id}  ${v.status.toUpperCase()}`,
          `  event:     ${v.eventId} (${v.eventType})`,
          `  webhook:   ${v.webhookId} (${v.webhookName})`,
          `  workflow:  ${v.workflowId}`,
          `  created:   ${iso(v.createdAt)}`,
        ];
        if (v.sentAt) lines.push(`  sent:      ${iso(v.sentAt)}`);
        if (v.failedAt) lines.push(`  failed:    ${iso(v.failedAt)}`);
        if (v.nextAttemptAt) lines.push(`  next try:  ${iso(v.nextAttemptAt)}`);
        const request = doc.request;
        if (request) {
          lines.push('', `  ${request.method} ${request.url}`);
          for (const [k, val] of Object.entries((request.headers ?? {}) as Record<string, string>)) lines.push(`  ${k}: ${val}`);
          lines.push('', ...indent(request.body ?? ''));
        }
        lines.push('', `  attempts (${v.attemptCount ?? 0}):`);
        for (const a of v.attempts ?? []) {
          lines.push(`  #${a.number} ${a.trigger.padEnd(9)} ${iso(a.startedAt)}  ${String(a.durationMs).padStart(6)} ms  ${outcome(a)}  key ${a.idempotencyKey}`);
        }
        const last = v.attempts?.[v.attempts.length - 1];
        if (last?.responseBody) {
          const { shown, omitted } = cappedBody(last.responseBody);
          lines.push('', `  last response body (HTTP ${last.statusCode}${omitted ? `, first ${shown.length} characters; ${omitted} more in --json` : ''}):`, ...indent(shown));
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    });
}

/** One attempt's outcome; an HTTP error says why when the receiver's body does (`HTTP 401 invalid_token: expired`). */
function outcome(a: { statusCode?: number | null; responseBody?: string | null; error?: { kind?: string | null; message?: string | null } | null }): string {
  if (!a.error) return `HTTP ${a.statusCode}`;
  if (a.error.kind === 'http_status') {
    const why = errorSummary(a.responseBody);
    return `HTTP ${a.statusCode}${why ? ` ${why}` : ''}`;
  }
  return `${a.error.kind}: ${a.error.message}`;
}

function iso(d: Date | string | null | undefined): string {
  if (!d) return '-';
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

function indent(text: string): string[] {
  return text.split('\n').map((l) => `    ${l}`);
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}
