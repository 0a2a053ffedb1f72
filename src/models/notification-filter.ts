/**
 * The one definition of "which notifications": used by the history API, the bulk resend (API,
 * workflow activity and CLI) and `herald notifications list`, so they always agree.
 */
import type { AttemptErrorKind, NotificationStatus } from './notification';

export interface NotificationFilter {
  status?: NotificationStatus;
  webhookId?: string;
  eventId?: string;
  eventType?: string;
  /** One of the event's entityIds. */
  entityId?: string;
  /** The rendered URL's host (`api.example.com`, or `host:port` with a non-default port). */
  destinationHost?: string;
  /** The last attempt's HTTP status. */
  statusCode?: number;
  /** The last attempt's error kind. */
  errorKind?: AttemptErrorKind;
  /** createdAt >= since */
  since?: Date;
  /** createdAt <= until */
  until?: Date;
}

/** A MongoDB filter; the id-like fields are covered by indexes of src/models/notification.ts. */
export function notificationQuery(f: NotificationFilter): Record<string, unknown> {
  const q: Record<string, unknown> = {};
  if (f.status) q.status = f.status;
  if (f.webhookId) q.webhookId = f.webhookId;
  if (f.eventId) q.eventId = f.eventId;
  if (f.eventType) q.eventType = f.eventType;
  if (f.entityId) q.entityIds = f.entityId;
  if (f.destinationHost) q.destinationHost = f.destinationHost;
  if (f.statusCode !== undefined) q.lastStatusCode = f.statusCode;
  if (f.errorKind) q.lastErrorKind = f.errorKind;
  if (f.since || f.until) q.createdAt = { ...(f.since ? { $gte: f.since } : {}), ...(f.until ? { $lte: f.until } : {}) };
  return q;
}

/**
 * `2h`, `30m`, `45s`, `7d`, `1w` → milliseconds; anything else → null. Used by the CLI's `--since`
 * (an ISO date-time or a duration back from now).
 */
export function parseDuration(value: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(value.trim());
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'ms'];
  return Math.round(Number(m[1]) * unit);
}

/** `--since` of the CLI: an ISO date-time, or a duration meaning "that long ago". */
export function parseSince(value: string, now = new Date()): Date {
  const ms = parseDuration(value);
  if (ms !== null) return new Date(now.getTime() - ms);
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new Error(`"${value}" is neither an ISO date-time (2026-01-31T12:00:00Z) nor a duration (30m, 2h, 7d)`);
  }
  return date;
}
