/**
 * `POST /v1/webhooks/{id}/preview`: the request a real event would produce, rendered by the same
 * code the worker uses (renderSnapshot), so what you see is what is sent. Nothing is stored or sent.
 *
 * Besides render warnings (missing data paths), the warnings say when this event would create no
 * notification at all (disabled, event type, condition, targeting, settings): "why did nothing
 * arrive" is the question a preview is usually asked.
 */
import { z } from 'zod';
import type { Models } from '../models';
import { settingsId } from '../models/config-version';
import { webhookCondition, type WebhookDoc } from '../models/webhook';
import { HeraldError } from '../errors';
import { renderSnapshot } from '../render/snapshot';
import { checkUrlDestination } from '../delivery/destination';
import { evaluateCondition } from '../matching/condition';
import { isTargeted, type Targeting } from '../matching/targeting';
import { isReservedEventType, matchesEventType } from '../matching/event-type';
import { USER_AGENT } from '../runtime';
import { previewEventSchema } from './events';
import { apiVersionSetting } from '../versions/api-version-setting';
import { loadChain } from '../models/event-type-version';
import { postedVersion } from '../versions/posted';
import { versionedData } from '../versioned-data';

export const previewSchema = z
  .object({
    event: previewEventSchema,
    /** Versioned event types: the version to preview the data at, instead of the webhook's own `apiVersion`. */
    version: apiVersionSetting.optional(),
  })
  .strict();
type PreviewEvent = z.output<typeof previewSchema>['event'];

export interface Preview {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  warnings: string[];
}

// Stand-ins for what only exists once a real event is accepted.
const PREVIEW_EVENT_ID = 'evt_preview';
const PREVIEW_NOTIFICATION_ID = 'ntf_preview';

export async function previewWebhook(
  models: Models,
  webhook: WebhookDoc & { _id: string },
  event: PreviewEvent,
  destination: { allowPrivate: boolean; httpsOnly: boolean },
  version?: string,
): Promise<Preview> {
  // As fan-out does: the data converted to the webhook's version (or the one asked for).
  const chain = isReservedEventType(event.type) ? [] : await loadChain(models.EventTypeVersion, event.type);
  const posted = postedVersion(chain, event.version, event.data);
  const dataFor = await versionedData(models, { type: event.type, dataJson: JSON.stringify(event.data), version: posted.version }, [{ apiVersion: version ?? webhook.apiVersion }], chain);
  const received = dataFor({ apiVersion: version ?? webhook.apiVersion });
  let rendered: ReturnType<typeof renderSnapshot>;
  try {
    rendered = renderSnapshot({
      webhook,
      event: { _id: event.id ?? PREVIEW_EVENT_ID, type: event.type, data: received.data, entityIds: event.entityIds, occurredAt: event.occurredAt ?? new Date() },
      notificationId: PREVIEW_NOTIFICATION_ID,
      userAgent: USER_AGENT,
      eventVersion: received.version,
    });
  } catch (err) {
    // Validated templates render; this is a template saved before a rule existed, say so plainly.
    throw new HeraldError(422, 'render_failed', `The webhook's templates do not render for this event: ${(err as Error).message}`);
  }
  // Would the delivery be refused as it stands (private address, plain http under HTTPS-only)?
  // The same rules the connector applies at send time, checked against today's DNS answer.
  const refused = await checkUrlDestination(rendered.request.url, destination);
  const warnings = [
    ...posted.issues.map((i) => `${i.path} ${i.message}: such an event would be refused (400)`),
    ...(await deliveryWarnings(models, webhook, { ...event, data: received.data })),
    ...rendered.warnings,
    ...(refused ? [`the destination would be refused at send time: ${refused}`] : []),
  ];
  return { ...rendered.request, warnings };
}

/** Why a real event like this one would create no notification for this webhook (empty: it would). */
async function deliveryWarnings(models: Models, webhook: WebhookDoc & { _id: string }, event: PreviewEvent): Promise<string[]> {
  const warnings: string[] = [];
  const settings = await models.Setting.findById(settingsId()).lean();
  if (settings?.webhookCommunications === 'none') warnings.push('settings.webhookCommunications is "none": no notification would be created');
  if (!webhook.enabled) warnings.push('the webhook is disabled: no notification would be created');
  if (!matchesEventType(webhook.eventTypes, event.type)) {
    warnings.push(
      isReservedEventType(event.type)
        ? `event type "${event.type}" is an operational event: only a webhook listing it by name receives it ("*" does not): no notification would be created`
        : `event type "${event.type}" is not in eventTypes: no notification would be created`,
    );
  }
  const subject = { type: event.type, data: event.data, entityIds: event.entityIds };
  const condition = evaluateCondition(webhookCondition(webhook), subject);
  if (condition.problem) {
    warnings.push(`the condition cannot be evaluated for this event (${condition.problem}): no notification would be created`);
  } else if (!condition.matched) {
    warnings.push('the condition does not match this event: no notification would be created');
  }
  const subs = event.entityIds.length ? await models.Subscription.find({ webhookId: webhook._id, entityId: { $in: event.entityIds } }).lean() : [];
  const switches = new Map(subs.map((s) => [s.entityId, s.enabled]));
  const targeting = (webhook.targeting ?? 'opt-out') as Targeting;
  if (!isTargeted(targeting, event.entityIds, switches)) {
    warnings.push(
      targeting === 'opt-in'
        ? 'targeting is opt-in and none of the event entityIds is switched on: no notification would be created'
        : 'targeting is opt-out and one of the event entityIds is switched off: no notification would be created',
    );
  }
  return warnings;
}
