/** Per-entity switches of a webhook: on (opt-in) or off (opt-out). One document per pair. */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';
import { bumpsConfigVersion } from './config-version';

export const subscriptionSchema = new Schema(
  {
    webhookId: { type: String, required: true },
    entityId: { type: String, required: true },
    enabled: { type: Boolean, required: true },
  },
  { timestamps: true, versionKey: false },
);

subscriptionSchema.plugin(accountScoped);
subscriptionSchema.index({ accountId: 1, webhookId: 1, entityId: 1 }, { unique: true });
// A webhook's switches by state (GET /v1/webhooks/:id/subscriptions?enabled=).
subscriptionSchema.index({ accountId: 1, webhookId: 1, enabled: 1, entityId: 1 });

subscriptionSchema.plugin(bumpsConfigVersion);

export type SubscriptionDoc = InferSchemaType<typeof subscriptionSchema>;
export type SubscriptionModel = Model<SubscriptionDoc>;

export function subscriptionModel(conn: Connection): SubscriptionModel {
  return conn.model<SubscriptionDoc>('Subscription', subscriptionSchema, 'subscriptions');
}
