/**
 * Opens what every Herald process needs from a validated config: the secrets (API keys and the
 * encryption key, generated under the data dir when not configured), MongoDB and Temporal.
 * Entry points and tests compose these; nothing here listens or polls.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHmac, randomBytes } from 'node:crypto';
import type { Config } from './config';
import { connectDatabase, type Database } from './db';
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { connectTemporal, ensureSearchAttributes, historyRetentionSeconds, type TemporalHandle } from './temporal';
import { formatDuration, namespaceRetentionSeconds } from './retention';
import { createSecretBox, loadOrCreateKeyFile, parseEncryptionKey, type SecretBox } from './crypto/secrets';
import type { Logger } from './logger';
import { HERALD_VERSION } from './paths';
import type { Metrics } from './metrics';
import type { AppDeps } from './app';
import { createConfigCache } from './config-cache';
import { newestDeclaredVersion } from './models/event-type-version';

export { HERALD_VERSION };
export const USER_AGENT = `Herald/${HERALD_VERSION}`;

export interface Secrets {
  apiKeys: readonly string[];
  secretBox: SecretBox;
  /** Keys HMAC-signing inbound direct URLs. */
  urlSigningKey: Buffer;
  /** True when the API key was generated (so it is worth printing). */
  generatedApiKey: boolean;
}

/** API keys and encryption key from the config, or from files under the data dir (created 0600). */
export function loadSecrets(config: Readonly<Config>): Secrets {
  const generatedApiKey = config.apiKeys.length === 0;
  const apiKeys = generatedApiKey
    ? [loadOrCreateKeyFile(path.join(config.dataDir, 'api-key'), () => `hk_${randomBytes(24).toString('base64url')}`)]
    : config.apiKeys;
  const rawKey = config.encryptionKey ?? loadOrCreateKeyFile(path.join(config.dataDir, 'encryption.key'));
  // Key files are written 0600; the directory holding them must be private too, also when it
  // already existed with a wider mode.
  if (generatedApiKey || !config.encryptionKey) fs.chmodSync(config.dataDir, 0o700);
  const key = parseEncryptionKey(rawKey);
  // The URL signing key derives from the encryption key, so one secret protects both.
  const urlSigningKey = createHmac('sha256', key).update('herald inbound url signing').digest();
  return { apiKeys, secretBox: createSecretBox(key), urlSigningKey, generatedApiKey };
}

export interface Connections {
  db: Database;
  temporal: TemporalHandle;
  close(): Promise<void>;
}

export async function openConnections(
  config: Readonly<Config>,
  addresses: { mongodbUri: string; temporalAddress: string },
  logger: Logger,
): Promise<Connections> {
  const db = await connectDatabase(addresses.mongodbUri);
  let temporal: TemporalHandle;
  try {
    temporal = await connectTemporal({ address: addresses.temporalAddress, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue });
  } catch (err) {
    await db.close();
    throw err;
  }
  await ensureSearchAttributes(temporal).catch((err) =>
    logger.warn({ err: (err as Error).message }, 'could not register search attributes; register HeraldStatus, HeraldWebhookId, HeraldEventType, HeraldAccountId (Keyword) yourself'),
  );
  await checkHistoryRetention(config, temporal, logger);
  return {
    db,
    temporal,
    async close() {
      await Promise.allSettled([temporal.close(), db.close()]);
    },
  };
}

/**
 * An external Temporal's namespace keeps closed histories as its operator set: say so when that is
 * shorter than Herald's recommendation (the embedded server is set at start, src/embedded/temporal-server.ts).
 */
async function checkHistoryRetention(config: Readonly<Config>, temporal: TemporalHandle, logger: Logger): Promise<void> {
  const wanted = namespaceRetentionSeconds(config);
  try {
    const have = await historyRetentionSeconds(temporal.connection, temporal.namespace);
    if (have !== null && have < wanted) {
      logger.warn(
        { namespace: temporal.namespace, historyRetention: formatDuration(have), recommended: formatDuration(wanted) },
        'the Temporal namespace keeps closed histories shorter than HERALD_RETENTION: job results and closed notifications leave the Web UI before MongoDB forgets them (temporal operator namespace update --retention)',
      );
    }
  } catch (err) {
    logger.warn({ err }, 'could not read the Temporal namespace retention');
  }
}

/** Everything the API needs, from the opened pieces. */
export function appDeps(config: Readonly<Config>, connections: Connections, secrets: Secrets, logger: Logger, metrics: Metrics): AppDeps {
  return {
    config,
    db: connections.db,
    models: connections.db.models,
    temporal: connections.temporal,
    logger,
    metrics,
    secretBox: secrets.secretBox,
    apiKeys: secrets.apiKeys,
    urlSigningKey: secrets.urlSigningKey,
    configCache: createConfigCache(connections.db.models),
    userAgent: USER_AGENT,
    defaultApiVersion: () => newestDeclaredVersion(connections.db.models.EventTypeVersion),
  };
}

/**
 * The API's Temporal handle, switched to the in-process worker's connection when there is one
 * (npm start): starts then request eager execution, so the first workflow task comes back in the
 * start response and runs here, without a round trip through the task queue.
 */
export function withEagerStart(temporal: TemporalHandle, workerConnection: NativeConnection): TemporalHandle {
  return { ...temporal, client: new Client({ connection: workerConnection, namespace: temporal.namespace }), eagerStart: true };
}
