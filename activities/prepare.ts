/**
 * prepare: render the request once and store it as the notification's snapshot. A retry of this
 * activity (or a later run of the workflow) finds the stored snapshot and returns it untouched:
 * it only renders and writes when the notification it read has no snapshot yet.
 *
 * The writes filter by _id alone (FerretDB uses its index only for exactly `{_id}`). Two prepare
 * executions of one notification at the same instant would need Temporal to retry the activity
 * while the first execution still runs (a 30 s timeout); both would render the same inputs.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityDeps } from './index';
import type { PrepareResult } from '../workflows/shared';
import { renderSnapshot } from '../src/render/snapshot';
import { RETRY_DEFAULTS } from '../src/models/webhook';
import { destinationHost } from '../src/temporal';

export function createPrepareActivity({ models, userAgent }: Pick<ActivityDeps, 'models' | 'userAgent'>) {
  return async function prepare(notificationId: string): Promise<PrepareResult> {
    const notification = await models.Notification.findById(notificationId).lean();
    if (!notification) throw ApplicationFailure.nonRetryable(`notification ${notificationId} does not exist`, 'NotificationGone');
    const webhook = await models.Webhook.findById(notification.webhookId).lean();
    if (!webhook) throw ApplicationFailure.nonRetryable(`webhook ${notification.webhookId} does not exist`, 'NotificationGone');

    let request = notification.request;
    if (!request) {
      const event = await models.Event.findById(notification.eventId).lean();
      if (!event) throw ApplicationFailure.nonRetryable(`event ${notification.eventId} does not exist`, 'NotificationGone');
      let rendered: ReturnType<typeof renderSnapshot>;
      try {
        rendered = renderSnapshot({ webhook, event, notificationId, userAgent });
      } catch (err) {
        // A template that cannot render now will not render on retry either: final at once.
        await models.Notification.updateOne(
          { _id: notificationId },
          { $set: { status: 'failed', failedAt: new Date(), warnings: [`render failed: ${(err as Error).message}`] } },
        );
        throw ApplicationFailure.nonRetryable(`render failed: ${(err as Error).message}`, 'RenderFailure');
      }
      await models.Notification.updateOne({ _id: notificationId }, { $set: { request: rendered.request, warnings: rendered.warnings, destinationHost: destinationHost(rendered.request.url)?.toLowerCase() } });
      request = rendered.request;
    }

    return {
      status: notification.status,
      webhookId: notification.webhookId,
      eventType: notification.eventType,
      method: request!.method,
      host: destinationHost(request!.url) ?? 'invalid-url',
      retry: { ...RETRY_DEFAULTS, ...stripUndefined(webhook.retry ?? {}) },
      timeoutSeconds: webhook.timeoutSeconds ?? 15,
    };
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}
