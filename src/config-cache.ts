/**
 * The webhook configuration every event fan-out and every delivery attempt needs, cached per
 * process. Each use reads the settings document by `_id` (one indexed read: the communications
 * switch is needed anyway) and reloads webhooks and the subscription index only when its
 * `configVersion` moved (src/models/config-version.ts bumps it on every configuration write), so a
 * change made through any API process is seen by the next event or attempt in every process.
 */
import type { Models } from './models';
import type { WebhookDoc } from './models/webhook';
import { SETTINGS_ID } from './models/config-version';

export type CachedWebhook = WebhookDoc & { _id: string; createdAt?: Date; updatedAt?: Date };

export interface ConfigView {
  communications: 'enabled' | 'none';
  /** Enabled, not deleted webhooks, for fan-out. */
  active: readonly CachedWebhook[];
  /** Every webhook by id, deleted ones included (a delivery must see that its webhook is gone). */
  byId: ReadonlyMap<string, CachedWebhook>;
  /** Webhooks with at least one per-entity switch: only those need a subscription lookup. */
  withSubscriptions: ReadonlySet<string>;
}

export interface ConfigCache {
  current(): Promise<ConfigView>;
}

export function createConfigCache(models: Pick<Models, 'Setting' | 'Webhook' | 'Subscription'>): ConfigCache {
  let cached: { version: number; view: Omit<ConfigView, 'communications'> } | null = null;
  let loading: { version: number; promise: Promise<Omit<ConfigView, 'communications'>> } | null = null;

  async function load(): Promise<Omit<ConfigView, 'communications'>> {
    const [webhooks, subscribed] = await Promise.all([
      models.Webhook.find({}).lean<CachedWebhook[]>(),
      models.Subscription.distinct('webhookId') as Promise<string[]>,
    ]);
    return {
      active: webhooks.filter((w) => w.enabled && !w.deletedAt),
      byId: new Map(webhooks.map((w) => [w._id, w])),
      withSubscriptions: new Set(subscribed),
    };
  }

  return {
    async current() {
      const settings = await models.Setting.findById(SETTINGS_ID, { webhookCommunications: 1, configVersion: 1 }).lean();
      const version = settings?.configVersion ?? 0;
      const communications = settings?.webhookCommunications === 'none' ? 'none' : 'enabled';
      if (cached?.version === version) return { communications, ...cached.view };
      // Concurrent callers that saw the same version share one reload.
      let pending = loading?.version === version ? loading : null;
      if (!pending) {
        const promise = load();
        pending = loading = { version, promise };
        promise.then(
          (view) => {
            if (!cached || cached.version < version) cached = { version, view };
          },
          () => {},
        ).finally(() => {
          if (loading?.promise === promise) loading = null;
        });
      }
      return { communications, ...(await pending.promise) };
    },
  };
}
