/**
 * One declared version of an event type, per account: its JSON Schema for `data` and its changes
 * from the previous version (src/versions/). Both are stored as JSON text, as event data is:
 * FerretDB refuses keys starting with "$" (`$schema`, `$ref`, `$defs`) and keys with a ".".
 * The `_id` is derived from (account, type, version), so two concurrent first saves of one version
 * collide on it instead of making two.
 */
import { Schema, type Connection, type InferSchemaType, type Model } from 'mongoose';
import { accountScoped } from './account-scoped';
import type { Change } from '../versions/changes';
import type { ChainLink } from '../versions/convert';
import { newestOf, sortVersions } from '../versions/semver-order';
import { acrossAccounts, currentAccountId } from '../accounts/scope';
import { bumpsConfigVersion } from './config-version';

export const eventTypeVersionSchema = new Schema(
  {
    _id: { type: String, required: true },
    type: { type: String, required: true },
    version: { type: String, required: true },
    /** JSON text of the schema of `data`, or null: no schema, data is not checked. */
    schemaJson: { type: String, default: null },
    /** JSON text of the change list from the previous version. */
    changesJson: { type: String, default: '[]' },
  },
  { timestamps: true, minimize: false, versionKey: false },
);

eventTypeVersionSchema.plugin(accountScoped);
// A declared or replaced version changes what fan-out sends: caches revalidate (config-version.ts).
eventTypeVersionSchema.plugin(bumpsConfigVersion);
eventTypeVersionSchema.index({ accountId: 1, type: 1, version: 1 }, { unique: true });
// The versions declared on the platform, one probe each (newestDeclaredVersion).
eventTypeVersionSchema.index({ version: 1 });

export type EventTypeVersionDoc = InferSchemaType<typeof eventTypeVersionSchema> & { _id: string };
export type EventTypeVersionModel = Model<EventTypeVersionDoc>;

export function eventTypeVersionModel(conn: Connection): EventTypeVersionModel {
  return conn.model<EventTypeVersionDoc>('EventTypeVersion', eventTypeVersionSchema, 'event_type_versions');
}

export function eventTypeVersionId(accountId: string, type: string, version: string): string {
  return `${accountId}:${type}@${version}`;
}

/** A version as conversion and validation use it: parsed once, cached by (id, updatedAt). */
export interface VersionLink extends ChainLink {
  schema: unknown;
  createdAt: Date;
  updatedAt: Date;
}

const parsed = new Map<string, VersionLink>();
const MAX_PARSED = 2000;

/**
 * The type's versions in the current account, oldest first (empty: the type is not versioned).
 * One indexed read of small fields per call; the schema and change texts are read and parsed
 * only for versions this process has not seen at their current `updatedAt`.
 */
export async function loadChain(model: EventTypeVersionModel, type: string, configVersion?: number): Promise<VersionLink[]> {
  // With the account's configVersion (bumped by every version written), the last chain read is
  // still right: no read at all on the hot path.
  const memoKey = `${currentAccountId()}\n${type}`;
  const memo = chains.get(memoKey);
  if (configVersion !== undefined && memo?.configVersion === configVersion) return memo.links;
  const links = await readChain(model, type);
  if (configVersion !== undefined) {
    if (chains.size >= MAX_PARSED) chains.delete(chains.keys().next().value as string);
    chains.set(memoKey, { configVersion, links });
  }
  return links;
}

const chains = new Map<string, { configVersion: number; links: VersionLink[] }>();

async function readChain(model: EventTypeVersionModel, type: string): Promise<VersionLink[]> {
  const heads = await model.find({ type }, { _id: 1, version: 1, updatedAt: 1 }).lean();
  if (heads.length === 0) return [];
  const key = (h: { _id: string; updatedAt?: Date | null }) => `${h._id}@${h.updatedAt?.getTime() ?? 0}`;
  const missing = heads.filter((h) => !parsed.has(key(h)));
  if (missing.length) {
    const docs = await model.find({ _id: { $in: missing.map((h) => h._id) } }).lean();
    for (const d of docs) remember(key(d), toLink(d));
  }
  // A version replaced between the two reads is taken as read the second time.
  const links = heads.map((h) => parsed.get(key(h))).filter((l): l is VersionLink => l !== undefined);
  return sortVersions(links);
}

function remember(key: string, link: VersionLink): void {
  parsed.set(key, link);
  if (parsed.size > MAX_PARSED) parsed.delete(parsed.keys().next().value as string);
}

export function toLink(d: { version: string; schemaJson?: string | null; changesJson?: string | null; createdAt?: Date; updatedAt?: Date }): VersionLink {
  return {
    version: d.version,
    schema: d.schemaJson ? (JSON.parse(d.schemaJson) as unknown) : null,
    changes: d.changesJson ? (JSON.parse(d.changesJson) as Change[]) : [],
    createdAt: d.createdAt ?? new Date(0),
    updatedAt: d.updatedAt ?? new Date(0),
  };
}

/**
 * A new account's default pin: the newest version of any event type declared on the platform, in
 * any account. Versions are declared per account, but a new account has none yet, and what it
 * should be pinned to is where the platform's producers are now; with nothing declared anywhere it
 * is null (the account follows the newest until pinned).
 */
export async function newestDeclaredVersion(model: EventTypeVersionModel): Promise<string | null> {
  // The distinct versions, one index probe each (query shape eventTypeVersions.nextVersion).
  const versions: string[] = [];
  for (;;) {
    const next = await acrossAccounts(() =>
      model.findOne(versions.length ? { version: { $gt: versions[versions.length - 1] } } : { version: { $gt: '' } }, { version: 1 }).sort({ version: 1 }).lean(),
    );
    if (!next) return newestOf(versions);
    versions.push(next.version);
  }
}
