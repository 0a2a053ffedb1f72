/**
 * The configuration's query shapes: accounts, API keys, webhooks, subscriptions, settings, sources,
 * variables, event types and their versions, and the events read outside the history lists (the
 * ingest's duplicates, the event types' samples). Small collections, but each read is still an
 * index search: an account's webhooks or keys are a range of its own index, never every account's.
 * Updates and deletes count as the find of their filter. See src/models/query-shapes.ts.
 */
import type { QueryShape } from '../query-shapes';
import { byId, X } from './examples';

const ACC = 'acc_0m9z5k2a10000000000000000';
const KEY = 'key_0m9z5k2a10000000000000000';
const SRC = 'src_0m9z5k2a10000000000000000';
const SUB = 'loan-7';

export const CONFIG_SHAPES: readonly QueryShape[] = [
  // Accounts: not account-scoped (the platform's list); everything else by _id.
  byId('accounts.byId', 'Account', 'src/routes/accounts.ts, src/config-cache.ts, src/versioned-data.ts, src/accounts/*, src/routes/info.ts, src/routes/retention.ts, src/retention.ts', ACC),
  byId('accounts.live', 'Account', 'src/accounts/live.ts, src/routes/accounts.ts (update)', ACC, { deletedAt: null }),
  {
    name: 'accounts.list',
    model: 'Account',
    usedBy: 'src/routes/accounts.ts (GET /v1/accounts, a page after a cursor)',
    filter: { deletedAt: null, _id: { $lt: ACC } },
    sort: { _id: -1 },
    limit: 51,
    index: { _id: 1 },
    inMemory: 'deletedAt: null (a null match is an OR in SQL, which loses the order): deleted accounts are few, read in _id order until the page is full',
  },
  byId('accounts.byIds', 'Account', 'src/retention.ts (the retention of the accounts holding data, 500 at a time)', { $in: [ACC, 'default'] }),

  // API keys: by hash across accounts (authentication), an account's live keys.
  { name: 'apiKeys.byHash', model: 'ApiKey', usedBy: 'src/http/auth.ts', filter: { hash: 'a'.repeat(64) }, acrossAccounts: true, index: { hash: 1 } },
  {
    name: 'apiKeys.list',
    model: 'ApiKey',
    usedBy: 'src/routes/accounts.ts (GET /v1/accounts/:id/keys; the account delete revokes the same range)',
    filter: { revokedAt: null, _id: { $lt: KEY } },
    sort: { _id: -1 },
    limit: 51,
    index: { accountId: 1, _id: -1 },
    inMemory: 'revokedAt: null: an account\'s keys are read in _id order until the page is full; revoked keys are few',
  },
  byId('apiKeys.revoke', 'ApiKey', 'src/routes/accounts.ts', KEY, { revokedAt: null }),

  // Webhooks: the account's all (configuration cache), live ones (lists, upgrade preview), one.
  { name: 'webhooks.all', model: 'Webhook', usedBy: 'src/config-cache.ts', filter: {}, index: { accountId: 1, _id: -1 } },
  {
    name: 'webhooks.list',
    model: 'Webhook',
    usedBy: 'src/routes/webhooks.ts (GET /v1/webhooks), src/routes/account-upgrade.ts, src/routes/accounts.ts (delete)',
    filter: { deletedAt: null, _id: { $lt: X.wh } },
    sort: { _id: -1 },
    limit: 51,
    index: { accountId: 1, _id: -1 },
    inMemory: 'deletedAt: null: an account\'s webhooks are read in _id order until the page is full; deleted ones are few',
  },
  byId('webhooks.byId', 'Webhook', 'src/routes/webhooks.ts, src/routes/webhook-secrets.ts, src/flow-control/endpoint-health.ts', X.wh, { deletedAt: null }),
  byId('webhooks.byIds', 'Webhook', 'src/flow-control/housekeeping.ts (across accounts: which still exist)', { $in: [X.wh, 'wh_1'] }, { deletedAt: null }, true),

  // Subscriptions (entity switches): per webhook, by entity.
  {
    name: 'subscriptions.ofEntities',
    model: 'Subscription',
    usedBy: 'src/fan-out.ts, src/routes/webhook-preview.ts',
    filter: { webhookId: { $in: [X.wh, 'wh_1'] }, entityId: { $in: [SUB, 'loan-8'] } },
    index: { accountId: 1, webhookId: 1, entityId: 1 },
  },
  {
    name: 'subscriptions.one',
    model: 'Subscription',
    usedBy: 'src/routes/subscriptions.ts (get, put, delete)',
    filter: { webhookId: X.wh, entityId: SUB },
    index: { accountId: 1, webhookId: 1, entityId: 1 },
  },
  {
    name: 'subscriptions.list',
    model: 'Subscription',
    usedBy: 'src/routes/subscriptions.ts (GET /v1/webhooks/:id/subscriptions)',
    filter: { webhookId: X.wh, entityId: { $gt: SUB } },
    sort: { entityId: 1 },
    limit: 51,
    index: { accountId: 1, webhookId: 1, entityId: 1 },
  },
  {
    name: 'subscriptions.list.byEnabled',
    model: 'Subscription',
    usedBy: 'src/routes/subscriptions.ts (?enabled=)',
    filter: { webhookId: X.wh, enabled: false, entityId: { $gt: SUB } },
    sort: { entityId: 1 },
    limit: 51,
    index: { accountId: 1, webhookId: 1, enabled: 1, entityId: 1 },
  },
  {
    // The webhooks that have any: one index probe per such webhook (a skip over the index), not a read of every switch.
    name: 'subscriptions.nextWebhook',
    model: 'Subscription',
    usedBy: 'src/config-cache.ts',
    filter: { webhookId: { $gt: X.wh } },
    sort: { webhookId: 1 },
    limit: 1,
    index: { accountId: 1, webhookId: 1, entityId: 1 },
  },

  // One document per account, or by name.
  byId('settings.byId', 'Setting', 'src/config-cache.ts, src/routes/settings.ts, src/routes/accounts.ts, src/routes/webhook-preview.ts, src/models/config-version.ts', 'global'),
  byId('sources.byId', 'Source', 'src/routes/sources.ts, src/routes/inbound.ts (across accounts)', SRC),
  {
    name: 'sources.list',
    model: 'Source',
    usedBy: 'src/routes/sources.ts (GET /v1/sources)',
    filter: { _id: { $lt: SRC } },
    sort: { _id: -1 },
    limit: 51,
    index: { accountId: 1, _id: -1 },
  },
  byId('variables.byId', 'Variable', 'src/routes/variables.ts, src/delivery/credentials.ts', 'CRM_TOKEN'),
  {
    name: 'variables.list',
    model: 'Variable',
    usedBy: 'src/routes/variables.ts (GET /v1/variables)',
    filter: { _id: { $gt: 'CRM_TOKEN' } },
    sort: { _id: 1 },
    limit: 51,
    index: { accountId: 1, _id: 1 },
  },

  // Event types and their versions.
  {
    name: 'eventTypeVersions.ofType',
    model: 'EventTypeVersion',
    usedBy: 'src/models/event-type-version.ts',
    filter: { type: 'loan.disbursed' },
    index: { accountId: 1, type: 1, version: 1 },
  },
  byId('eventTypeVersions.byIds', 'EventTypeVersion', 'src/models/event-type-version.ts, src/routes/event-type-versions.ts', { $in: ['loan.disbursed@1.0.0'] }),
  {
    // The account's declared types and versions (the event types list, the upgrade preview): its own range.
    name: 'eventTypeVersions.all',
    model: 'EventTypeVersion',
    usedBy: 'src/routes/event-types.ts, src/routes/account-upgrade.ts',
    filter: {},
    index: { accountId: 1, type: 1, version: 1 },
  },
  {
    // The versions declared on the platform, one probe per distinct version (a new account's pin).
    name: 'eventTypeVersions.nextVersion',
    model: 'EventTypeVersion',
    usedBy: 'src/models/event-type-version.ts (newestDeclaredVersion)',
    filter: { version: { $gt: '1.0.0' } },
    sort: { version: 1 },
    limit: 1,
    acrossAccounts: true,
    index: { version: 1 },
  },

  // Events outside the history lists.
  {
    name: 'events.byDedupeKey',
    model: 'Event',
    usedBy: 'src/ingest.ts (a duplicate: the first event of its Idempotency-Key)',
    filter: { dedupeKey: 'idem:order-1' },
    index: { accountId: 1, dedupeKey: 1 },
  },
  {
    name: 'events.ofTypeSince',
    model: 'Event',
    usedBy: 'src/routes/event-type-versions.ts (a version used since it was declared)',
    filter: { type: 'loan.disbursed', createdAt: { $gte: X.at } },
    limit: 1,
    index: { accountId: 1, type: 1, createdAt: -1, _id: -1 },
  },
  {
    name: 'events.ofType',
    model: 'Event',
    usedBy: 'src/routes/event-type-versions.ts (a type with events)',
    filter: { type: 'loan.disbursed' },
    limit: 1,
    index: { accountId: 1, type: 1, createdAt: -1, _id: -1 },
  },
  {
    name: 'events.newest',
    model: 'Event',
    usedBy: 'src/routes/event-types.ts (the sample the types are inferred from)',
    filter: { createdAt: { $lte: X.later } },
    sort: { createdAt: -1, _id: -1 },
    limit: 200,
    index: { accountId: 1, createdAt: -1, _id: -1 },
  },
];
