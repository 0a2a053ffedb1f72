/**
 * Which version of a type a webhook receives, and the data converted to it. A webhook's
 * `apiVersion` is `account` (the default: its account's pin), `latest`, or a semver pin of its own;
 * an account without a pin follows the newest.
 */
import { convertData, type ChainLink } from './convert';
import { resolveTarget, type Target } from './semver-order';

export const WEBHOOK_API_VERSION_DEFAULT = 'account';

export function effectiveTarget(webhookApiVersion: string | null | undefined, accountPin: string | null | undefined): Target {
  const own = webhookApiVersion ?? WEBHOOK_API_VERSION_DEFAULT;
  if (own === 'latest') return 'latest';
  if (own === WEBHOOK_API_VERSION_DEFAULT) return accountPin ?? 'latest';
  return own;
}

/** True when a webhook's version depends on its account's pin (so the pin must be read). */
export function followsAccount(webhookApiVersion: string | null | undefined): boolean {
  return (webhookApiVersion ?? WEBHOOK_API_VERSION_DEFAULT) === WEBHOOK_API_VERSION_DEFAULT;
}

/**
 * The data a receiver at `target` gets for an event posted at `posted`, and that version's name;
 * null when the type has no versions or the event has none (posted before its type was
 * versioned): such data goes out as posted.
 */
export function dataForTarget(data: Record<string, unknown>, chain: readonly ChainLink[], posted: string | null | undefined, target: Target): { version: string; data: Record<string, unknown> } | null {
  if (chain.length === 0 || !posted) return null;
  const version = resolveTarget(chain.map((l) => l.version), target);
  return { version, data: convertData(data, chain, posted, version) };
}
