/**
 * The webhook configuration every event fan-out and every delivery attempt needs, cached per
 * process. `current()` reads the settings document by `_id` (one indexed read: the communications
 * switch is needed anyway) and reloads webhooks and the subscription index only when its
 * `configVersion` moved (src/models/config-version.ts bumps it on every configuration write), so a
 * change made through any API process is seen by the next event in every process.
 *
 * Delivery attempts use `recent()`: the last view if it is under RECENT_MS old and this process has
 * not changed the configuration since (a write through this process's models invalidates it at
 * once). That saves one read per attempt on the hot path; a change made through another process
 * reaches this one's attempts within RECENT_MS. Attempts can afford it: a stop is signalled to the
 * workflows (this check is only its backstop), a snapshot's URL and body were fixed at fan-out, and
 * a rotated secret keeps signing alongside the new one for 24 h.
 */
import type { Models } from './models';
import type { WebhookDoc } from './models/webhook';
import { CONFIG_CHANGED, settingsId } from './models/config-version';
import { currentAccountId } from './accounts/scope';

/** How old a view `recent()` may hand out. */
export const RECENT_MS = 1000;

export type CachedWebhook = WebhookDoc & { _id: string; createdAt?: Date; updatedAt?: Date };

export interface ConfigView {
  communications: 'enabled' | 'none';
  /** The account settings' configVersion this view was revalidated against (caches keyed on it stay right). */
  version: number;
  /** The account's pin for versioned event types (null: the newest). */
  apiVersion: string | null;
  /** Enabled, not deleted webhooks, for fan-out. */
  active: readonly CachedWebhook[];
  /** Every webhook by id, deleted ones included (a delivery must see that its webhook is gone). */
  byId: ReadonlyMap<string, CachedWebhook>;
  /** Webhooks with at least one per-entity switch: only those need a subscription lookup. */
  withSubscriptions: ReadonlySet<string>;
}

/** The view of the current scope's account (src/accounts/scope.ts); one cache per account. */
export interface ConfigCache {
  /** Revalidated now: for matching events and for the API. */
  current(): Promise<ConfigView>;
  /** At most RECENT_MS old, and never older than this process's last configuration write: for delivery attempts. */
  recent(now?: number): Promise<ConfigView>;
}

export function createConfigCache(models: Pick<Models, 'Setting' | 'Webhook' | 'Subscription' | 'Account'>): ConfigCache {
  const byAccount = new Map<string, ConfigCache>();
  const forAccount = () => {
    const accountId = currentAccountId();
    let cache = byAccount.get(accountId);
    if (!cache) byAccount.set(accountId, (cache = createAccountConfigCache(models, accountId)));
    return cache;
  };
  return {
    current: () => forAccount().current(),
    recent: (now) => forAccount().recent(now),
  };
}

function createAccountConfigCache(models: Pick<Models, 'Setting' | 'Webhook' | 'Subscription' | 'Account'>, accountId: string): ConfigCache {
  let cached: { version: number; view: Omit<ConfigView, 'communications' | 'version'> } | null = null;
  let loading: { version: number; promise: Promise<Omit<ConfigView, 'communications' | 'version'>> } | null = null;
  // The view recent() hands out; `writes` counts this process's configuration writes, so a read that
  // raced one of them is not kept.
  let last: { at: number; view: ConfigView } | null = null;
  let writes = 0;
  models.Setting.db.on(CONFIG_CHANGED, () => {
    writes++;
    last = null;
  });

  async function load(): Promise<Omit<ConfigView, 'communications' | 'version'>> {
    const [webhooks, subscribed, account] = await Promise.all([
      models.Webhook.find({}).lean<CachedWebhook[]>(),
      webhooksWithSubscriptions(models),
      // A pin change bumps the version too (src/routes/accounts.ts).
      models.Account.findById(accountId, { apiVersion: 1 }).lean(),
    ]);
    return {
      apiVersion: account?.apiVersion ?? null,
      active: webhooks.filter((w) => w.enabled && !w.deletedAt),
      byId: new Map(webhooks.map((w) => [w._id, w])),
      withSubscriptions: new Set(subscribed),
    };
  }

  async function current(): Promise<ConfigView> {
    const startedAt = Date.now();
    const writesBefore = writes;
    const settings = await models.Setting.findById(settingsId(accountId), { webhookCommunications: 1, configVersion: 1 }).lean();
    const version = settings?.configVersion ?? 0;
    const communications = settings?.webhookCommunications === 'none' ? 'none' : 'enabled';
    const seen = (view: ConfigView) => {
      // Dated from before the read: a write by another process is hidden for at most RECENT_MS.
      if (writes === writesBefore && (!last || last.at < startedAt)) last = { at: startedAt, view };
      return view;
    };
    if (cached?.version === version) return seen({ communications, version, ...cached.view });
    // Concurrent callers that saw the same version share one reload.
    let pending = loading?.version === version ? loading : null;
    if (!pending) {
      const promise = load();
      pending = loading = { version, promise };
      promise
        .then(
          (view) => {
            if (!cached || cached.version < version) cached = { version, view };
          },
          () => {},
        )
        .finally(() => {
          if (loading?.promise === promise) loading = null;
        });
    }
    return seen({ communications, version, ...(await pending.promise) });
  }

  return {
    current,
    async recent(now = Date.now()) {
      if (last && now - last.at < RECENT_MS) return last.view;
      return current();
    },
  };
}

/**
 * The account's webhooks that have entity switches: the next webhookId after the last one, one
 * index probe per such webhook (query shape subscriptions.nextWebhook), not a read of every switch.
 */
async function webhooksWithSubscriptions(models: Pick<Models, 'Subscription'>): Promise<string[]> {
  const found: string[] = [];
  for (;;) {
    const next = await models.Subscription.findOne({ webhookId: { $gt: found.length ? found[found.length - 1] : '' } }, { webhookId: 1 })
      .sort({ webhookId: 1 })
      .lean();
    if (!next) return found;
    found.push(next.webhookId);
  }
}
