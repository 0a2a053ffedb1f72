import type { Connection } from 'mongoose';
import { accountModel } from './account';
import { apiKeyModel } from './api-key';
import { webhookModel } from './webhook';
import { subscriptionModel } from './subscription';
import { eventModel } from './event';
import { notificationModel } from './notification';
import { settingModel } from './setting';
import { sourceModel } from './source';
import { variableModel } from './variable';
import { webhookHealthModel } from './webhook-health';
import { deliveryPermitModel } from './delivery-permit';
import { pendingOperationalEventModel } from './pending-operational-event';
import { eventTypeVersionModel } from './event-type-version';
import { streamSubscriptionModel } from './stream-subscription';
import { streamCursorModel } from './stream-cursor';
import { streamSessionModel } from './stream-session';
import { streamOffsetClaimModel, streamLogFloorModel } from './stream-log';
import { entityLinkModel } from './entity-link';
import { deliveryRollupModel } from './delivery-rollup';

/**
 * Every model bound to one connection; add a model here and it gets its indexes at connect. Every
 * model but Account holds tenant data and takes the accountScoped plugin (src/models/account-scoped.ts).
 */
export function createModels(conn: Connection) {
  return {
    Account: accountModel(conn),
    ApiKey: apiKeyModel(conn),
    Webhook: webhookModel(conn),
    Subscription: subscriptionModel(conn),
    Event: eventModel(conn),
    Notification: notificationModel(conn),
    Setting: settingModel(conn),
    Source: sourceModel(conn),
    Variable: variableModel(conn),
    WebhookHealth: webhookHealthModel(conn),
    DeliveryPermit: deliveryPermitModel(conn),
    PendingOperationalEvent: pendingOperationalEventModel(conn),
    EventTypeVersion: eventTypeVersionModel(conn),
    StreamSubscription: streamSubscriptionModel(conn),
    StreamCursor: streamCursorModel(conn),
    StreamSession: streamSessionModel(conn),
    StreamOffsetClaim: streamOffsetClaimModel(conn),
    StreamLogFloor: streamLogFloorModel(conn),
    EntityLink: entityLinkModel(conn),
    DeliveryRollup: deliveryRollupModel(conn),
  };
}

export type Models = ReturnType<typeof createModels>;
