/**
 * prepare: make sure the notification has its request snapshot and tell the workflow its
 * schedule. Notifications are normally rendered at fan-out (src/fan-out.ts) and stored with their
 * snapshot; this renders (once, and stores) only for one created without it (by an earlier
 * version of Herald). A retry, or a later run, finds the stored snapshot and returns it untouched.
 *
 * The `prepare` local activity is the first step of workflow histories recorded before the
 * first-attempt path (see workflows/notification.ts); `firstAttempt` reuses these helpers.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityDeps } from './index';
import type { PrepareResult } from '../workflows/shared';
import type { DeliveryStatus } from '../workflows/status';
import { renderSnapshot, type RequestSnapshot } from '../src/render/snapshot';
import { assertRenderedSize } from '../src/render/request-size';
import { RETRY_DEFAULTS } from '../src/models/webhook';
import { destinationHost } from '../src/temporal';
import type { CachedWebhook } from '../src/config-cache';
import type { LoadedNotification } from '../src/models/notification';
import { rollupsOf } from '../src/stats/rollups';

export function createPrepareActivity(deps: Pick<ActivityDeps, 'models' | 'userAgent' | 'configCache' | 'resendWindowSeconds'>) {
  return async function prepare(notificationId: string): Promise<PrepareResult> {
    const [notification, config] = await Promise.all([
      deps.models.Notification.findById(notificationId).lean<LoadedNotification>(),
      deps.configCache.current(),
    ]);
    if (!notification) throw ApplicationFailure.nonRetryable(`notification ${notificationId} does not exist`, 'NotificationGone');
    const webhook = config.byId.get(notification.webhookId);
    if (!webhook) throw ApplicationFailure.nonRetryable(`webhook ${notification.webhookId} does not exist`, 'NotificationGone');
    const request = await ensureSnapshot(deps, notification, webhook);
    return prepareResult(notification, webhook, request, deps.resendWindowSeconds);
  };
}

/** The stored snapshot, rendering and storing it first when the notification has none. */
export async function ensureSnapshot(
  deps: Pick<ActivityDeps, 'models' | 'userAgent'>,
  notification: LoadedNotification,
  webhook: CachedWebhook,
): Promise<RequestSnapshot> {
  if (notification.request) return notification.request;
  const { models } = deps;
  const event = await models.Event.findById(notification.eventId).lean();
  if (!event) throw ApplicationFailure.nonRetryable(`event ${notification.eventId} does not exist`, 'NotificationGone');
  let rendered: ReturnType<typeof renderSnapshot>;
  try {
    rendered = renderSnapshot({ webhook, event, notificationId: notification._id, userAgent: deps.userAgent });
    assertRenderedSize(rendered.request);
  } catch (err) {
    // A template that cannot render now will not render on retry either: final at once.
    const reason = `render failed: ${(err as Error).message}`;
    await models.Notification.updateOne({ _id: notification._id }, { $set: { status: 'failed', failedAt: new Date(), warnings: [reason] } });
    rollupsOf(models).status(notification.webhookId, notification._id, (notification.status ?? 'pending') as DeliveryStatus, 'failed');
    throw ApplicationFailure.nonRetryable(reason, 'RenderFailure');
  }
  await models.Notification.updateOne(
    { _id: notification._id },
    { $set: { request: rendered.request, warnings: rendered.warnings, destinationHost: destinationHost(rendered.request.url) ?? null } },
  );
  notification.request = rendered.request;
  return rendered.request;
}

export function prepareResult(
  notification: Pick<LoadedNotification, 'status' | 'webhookId' | 'eventType'>,
  webhook: CachedWebhook,
  request: RequestSnapshot | null,
  resendWindowSeconds: number,
): PrepareResult {
  return {
    status: notification.status as DeliveryStatus,
    webhookId: notification.webhookId,
    eventType: notification.eventType,
    method: request?.method ?? webhook.method ?? 'POST',
    host: request ? (destinationHost(request.url) ?? 'invalid-url') : 'not rendered',
    retry: retrySchedule(webhook),
    timeoutSeconds: webhook.timeoutSeconds ?? 15,
    resendWindowSeconds,
  };
}

export function retrySchedule(webhook: Pick<CachedWebhook, 'retry'>) {
  return { ...RETRY_DEFAULTS, ...stripUndefined(webhook.retry ?? {}) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}
