/**
 * An event's data as each webhook receives it (versioned event types, src/versions/): converted
 * from the version it was posted in to the newest version not after the webhook's effective
 * version, once per distinct target version, however many webhooks share it. Reads, per event of
 * a versioned type: the type's chain and the account's pin, both from the caller's configuration
 * view on the hot path (src/ingest.ts); read here only when the caller has neither (preview).
 */
import type { Models } from './models';
import { loadChain, type VersionLink } from './models/event-type-version';
import { currentAccountId } from './accounts/scope';
import { eventData } from './models/event';
import { dataForTarget, effectiveTarget, followsAccount } from './versions/target';
import { resolveTarget } from './versions/semver-order';

export interface DataFor {
  /** The data this webhook receives and its version (null: not versioned, the data as posted). */
  (webhook: { apiVersion?: string | null }): { version: string | null; data: Record<string, unknown> };
}

export async function versionedData(
  models: Pick<Models, 'EventTypeVersion' | 'Account'>,
  event: { type: string; dataJson?: string | null; version?: string | null },
  webhooks: ReadonlyArray<{ apiVersion?: string | null }>,
  chain?: VersionLink[],
  /** The account's pin when the caller has it (the configuration view); undefined: read it. */
  pin?: string | null,
): Promise<DataFor> {
  const posted = eventData(event);
  const asPosted = { version: null, data: posted };
  if (!event.version || webhooks.length === 0) return () => asPosted;
  const links = chain ?? (await loadChain(models.EventTypeVersion, event.type));
  if (links.length === 0) return () => asPosted;
  const accountPinned = webhooks.some((w) => followsAccount(w.apiVersion)) ? (pin === undefined ? await accountPin(models) : pin) : null;
  const versions = links.map((l) => l.version);
  // Keyed by the version delivered: pins 8.0.3 and 8.5.0 may both get 8.0.3, converted once.
  const byVersion = new Map<string, { version: string | null; data: Record<string, unknown> }>();
  return (w) => {
    const version = resolveTarget(versions, effectiveTarget(w.apiVersion, accountPinned));
    let got = byVersion.get(version);
    if (!got) byVersion.set(version, (got = dataForTarget(posted, links, event.version, version) ?? asPosted));
    return got;
  };
}

async function accountPin(models: Pick<Models, 'Account'>): Promise<string | null> {
  const account = await models.Account.findById(currentAccountId(), { apiVersion: 1 }).lean();
  return account?.apiVersion ?? null;
}
