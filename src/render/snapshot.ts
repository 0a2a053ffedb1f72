/**
 * Renders a notification's request snapshot: method, URL, headers and body, exactly once. The
 * stored headers never hold a credential: basic auth is stored as `Basic [redacted]`, a static
 * Authorization header as `Bearer [redacted]` (its scheme, if any), and both are filled in at send time; signature and idempotency headers belong to each attempt, not to the snapshot.
 */
import { publicEventId } from '../accounts/event-ids';
import type { TemplateContext } from './context';
import { renderUrl } from './url-template';
import { renderBody, type ContentType } from './body-template';

export const REDACTED = '[redacted]';

/** Names the event-type version of the data a versioned event's notification carries. */
export const EVENT_VERSION_HEADER = 'herald-event-version';

export interface SnapshotWebhook {
  _id: string;
  name: string;
  url: string;
  method?: string | null;
  contentType?: string | null;
  bodyTemplate?: string | null;
  payloadVersion: string;
  headers?: unknown;
  auth?: { type?: string | null } | null;
  /** A static Authorization header: only its redacted `display` is ever rendered. */
  authorizationHeader?: { display?: string | null } | null;
}

export interface SnapshotEvent {
  _id: string;
  type: string;
  /** Either the data, or the JSON text it is stored as (see src/models/event.ts). */
  data?: unknown;
  dataJson?: string | null;
  entityIds?: string[] | null;
  occurredAt: Date | string;
}

export interface RequestSnapshot {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

export function templateContext(event: SnapshotEvent, webhook: Pick<SnapshotWebhook, '_id' | 'name'>, notificationId: string): TemplateContext {
  return {
    event: {
      id: publicEventId(event._id),
      type: event.type,
      occurredAt: new Date(event.occurredAt).toISOString(),
      entityIds: [...(event.entityIds ?? [])],
    },
    data: (event.data ?? (event.dataJson ? JSON.parse(event.dataJson) : {})) as Record<string, unknown>,
    notification: { id: notificationId },
    webhook: { id: webhook._id, name: webhook.name },
  };
}

export function renderSnapshot(input: {
  webhook: SnapshotWebhook;
  event: SnapshotEvent;
  notificationId: string;
  userAgent?: string;
  /** The event-type version of `event.data` (versioned event types), sent as `herald-event-version`. */
  eventVersion?: string | null;
}): { request: RequestSnapshot; warnings: string[] } {
  const { webhook } = input;
  const ctx = templateContext(input.event, webhook, input.notificationId);
  const contentType = (webhook.contentType ?? 'application/json') as ContentType;
  const { body, warnings } = renderBody({
    template: webhook.bodyTemplate ?? null,
    contentType,
    payloadVersion: webhook.payloadVersion,
    ctx,
  });
  const headers: Record<string, string> = {
    ...(webhook.headers as Record<string, string> | undefined),
    'content-type': contentType === 'application/json' ? contentType : `${contentType}; charset=utf-8`,
  };
  if (input.userAgent) headers['user-agent'] = input.userAgent;
  if (input.eventVersion) headers[EVENT_VERSION_HEADER] = input.eventVersion;
  if (webhook.auth?.type === 'basic') headers.authorization = `Basic ${REDACTED}`;
  else if (webhook.authorizationHeader?.display) headers.authorization = webhook.authorizationHeader.display;
  return {
    request: { method: webhook.method ?? 'POST', url: renderUrl(webhook.url, ctx), headers, body },
    warnings,
  };
}
