/**
 * Default payload envelopes, by dated version. A webhook pins the newest version at creation and
 * keeps it when a newer one ships, so an entry is never changed or removed once released: to
 * change the shape, append a new dated entry (it becomes the newest).
 */
import type { TemplateContext } from './context';

type EnvelopeBuilder = (ctx: TemplateContext) => Record<string, unknown>;

// Oldest first; the last entry is the newest.
const ENVELOPES: ReadonlyArray<readonly [version: string, build: EnvelopeBuilder]> = [
  [
    '2025-01-01',
    (ctx) => ({
      id: ctx.event.id,
      type: ctx.event.type,
      occurredAt: ctx.event.occurredAt,
      entityIds: ctx.event.entityIds,
      data: ctx.data,
    }),
  ],
  [
    // The Standard Webhooks payload shape.
    '2026-11-01',
    (ctx) => ({
      type: ctx.event.type,
      timestamp: ctx.event.occurredAt,
      eventId: ctx.event.id,
      entityIds: ctx.event.entityIds,
      data: ctx.data,
    }),
  ],
];

const BUILDERS: ReadonlyMap<string, EnvelopeBuilder> = new Map(ENVELOPES);

/** Every released version, oldest first. */
export const PAYLOAD_VERSIONS: readonly string[] = Object.freeze(ENVELOPES.map(([version]) => version));
export const LATEST_PAYLOAD_VERSION: string = PAYLOAD_VERSIONS[PAYLOAD_VERSIONS.length - 1];
/** Follows the newest envelope instead of pinning one. */
export const LATEST_ALIAS = 'latest';

export function isKnownPayloadVersion(version: unknown): version is string {
  return typeof version === 'string' && (version === LATEST_ALIAS || BUILDERS.has(version));
}

/** `latest` → the newest version; a known version → itself. Throws on an unknown one. */
export function resolvePayloadVersion(version: string): string {
  if (version === LATEST_ALIAS) return LATEST_PAYLOAD_VERSION;
  if (!BUILDERS.has(version)) {
    throw new Error(`Unknown payloadVersion "${version}"; known: ${PAYLOAD_VERSIONS.join(', ')} or ${LATEST_ALIAS}`);
  }
  return version;
}

/** The default body of a webhook without a bodyTemplate (`latest` accepted). */
export function buildEnvelope(version: string, ctx: TemplateContext): Record<string, unknown> {
  const resolved = resolvePayloadVersion(version);
  const build = BUILDERS.get(resolved);
  if (!build) throw new Error(`Unknown payloadVersion "${resolved}"`);
  return build(ctx);
}
