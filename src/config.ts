/**
 * Configuration is read once, here, from the environment: validated with zod, every problem
 * reported in one message, the result frozen and passed down. No other module reads process.env.
 */
import path from 'node:path';
import { z } from 'zod';
import { CIRCUIT_DEFAULTS, type CircuitSettings } from './flow-control/circuit';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce
  .number({ message: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const hostPort = z
  .string()
  .trim()
  .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7233')
  .optional()
  .or(z.literal('').transform(() => undefined));

const mongoUri = z
  .string()
  .trim()
  .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
  .optional()
  .or(z.literal('').transform(() => undefined));

const apiKeys = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((k) => k.trim()).filter(Boolean))
  .refine((keys) => keys.every((k) => k.length >= 16), 'every key must be at least 16 characters');

/** `30s`, `15m`, `12h`, `7d`: a duration in seconds. */
const duration = z
  .string()
  .trim()
  .regex(/^\d+(s|m|h|d)$/, 'must be a number with a unit s, m, h or d, e.g. 7d')
  .transform((v) => Number(v.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86400 }[v.slice(-1) as 's' | 'm' | 'h' | 'd']);

const envSchema = z.object({
  PORT: port.default(3000),
  HERALD_API_KEYS: apiKeys,
  TEMPORAL_ADDRESS: hostPort,
  TEMPORAL_NAMESPACE: z.string().trim().min(1, 'must not be empty').default('default'),
  HERALD_TASK_QUEUE: z.string().trim().min(1, 'must not be empty').default('herald-notifications'),
  MONGODB_URI: mongoUri,
  HERALD_DATA_DIR: z.string().trim().min(1, 'must not be empty').default('./.herald'),
  HERALD_TEMPORAL_PORT: port.default(7233),
  HERALD_TEMPORAL_UI_PORT: port.default(8233),
  HERALD_MONGO_PORT: port.default(27017),
  HERALD_ALLOW_PRIVATE_DESTINATIONS: bool.default(false),
  HERALD_HTTPS_ONLY: bool.default(false),
  HERALD_ENCRYPTION_KEY: optionalString,
  HERALD_MAX_BODY_BYTES: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1024, 'must be at least 1024')
    .max(64 * 1024 * 1024, 'must be at most 67108864')
    .default(1048576),
  // Streaming API: a stream with uncommitted events and no commit for this long is closed; a
  // stream whose process stopped heartbeating loses its partitions after the lease.
  HERALD_STREAM_COMMIT_TIMEOUT_SECONDS: z.coerce.number({ message: 'must be a number' }).positive('must be positive').max(3600, 'must be at most 3600').default(60),
  HERALD_STREAM_LEASE_SECONDS: z.coerce.number({ message: 'must be a number' }).positive('must be positive').max(600, 'must be at most 600').default(10),
  HERALD_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HERALD_PUBLIC_URL: optionalString,
  HERALD_TEMPORAL_UI_URL: z.string().trim().regex(/^(https?:\/\/\S+)?$/, 'must be an http(s) URL').optional(),
  HERALD_TEMPORAL_BIN: optionalString,
  HERALD_FERRETDB_BIN: optionalString,
  HERALD_TOOLS_DIR: optionalString,
  HERALD_TEMPORAL_ENGINE: z.enum(['dev', 'server'], { message: 'must be dev or server' }).default('dev'),
  HERALD_TEMPORAL_SERVER_BIN: optionalString,
  HERALD_TEMPORAL_SQL_TOOL_BIN: optionalString,
  HERALD_TEMPORAL_UI_SERVER_BIN: optionalString,
  HERALD_POSTGRES_BIN_DIR: optionalString,
  HERALD_POSTGRES_PORT: port.default(0),
  HERALD_POSTGRES_SYNCHRONOUS_COMMIT: z.enum(['on', 'off'], { message: 'must be on or off' }).default('on'),
  HERALD_WORKER_METRICS_PORT: port.optional(),
  HERALD_RESEND_WINDOW: duration.default(7 * 86400),
  HERALD_RETENTION: duration.default(30 * 86400),
  HERALD_CIRCUIT_FAILURE_THRESHOLD: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(1000, 'must be at most 1000')
    .default(CIRCUIT_DEFAULTS.failureThreshold),
  HERALD_CIRCUIT_COOLDOWN: duration.default(CIRCUIT_DEFAULTS.cooldownSeconds),
  HERALD_CIRCUIT_MAX_COOLDOWN: duration.default(CIRCUIT_DEFAULTS.maxCooldownSeconds),
  /** `0s` never disables. */
  HERALD_AUTO_DISABLE_AFTER: duration.default(CIRCUIT_DEFAULTS.autoDisableAfterSeconds!),
  HERALD_DISPATCH_SWEEP_INTERVAL: duration.refine((v) => v > 0, 'must be at least 1s').default(5),
  HERALD_DISPATCH_SWEEP_GRACE: duration.default(10),
});

export interface Config {
  port: number;
  apiKeys: readonly string[];
  temporal: { address?: string; namespace: string; taskQueue: string };
  mongodbUri?: string;
  dataDir: string;
  embedded: { temporalPort: number; temporalUiPort: number; mongoPort: number };
  /** The embedded Temporal engine (README "Production engine"). */
  temporalEngine: {
    /** `dev`: `temporal server start-dev` (SQLite); `server`: Temporal server on PostgreSQL. */
    engine: 'dev' | 'server';
    /** `server` engine: PostgreSQL's port; 0 picks a free one at start. */
    postgresPort: number;
    /** `server` engine: PostgreSQL's synchronous_commit (src/embedded/postgres.ts). */
    postgresSynchronousCommit: 'on' | 'off';
  };
  allowPrivateDestinations: boolean;
  httpsOnly: boolean;
  encryptionKey?: string;
  maxBodyBytes: number;
  /** Streaming API timings (src/stream/). */
  stream: { commitTimeoutMs: number; leaseMs: number };
  logLevel: string;
  /** Base URL used to print inbound direct URLs; defaults to http://127.0.0.1:<PORT>. */
  publicUrl: string;
  /** The Temporal Web UI, for links from the console; `npm start` knows the embedded one. */
  temporalUiUrl?: string;
  tools: {
    temporalBin?: string;
    ferretdbBin?: string;
    cacheDir?: string;
    temporalServerBin?: string;
    temporalSqlToolBin?: string;
    temporalUiServerBin?: string;
    postgresBinDir?: string;
  };
  /** `npm run worker` serves /metrics on this port when set (the API serves its own on PORT). */
  workerMetricsPort?: number;
  /**
   * How long a notification's workflow stays open after its delivery round, serving resends by a
   * plain Temporal signal (seconds). After it, resends start a new run (see src/temporal.ts).
   */
  resendWindowSeconds: number;
  /**
   * How long events and notifications are kept in MongoDB after their last activity (seconds);
   * the purge workflow (workflows/purge.ts), run by the `herald-purge` schedule, deletes older ones.
   * At least the resend window: a notification stays resendable for the whole window.
   */
  retentionSeconds: number;
  /** Endpoint health defaults (each webhook may override them): see src/flow-control/circuit.ts. */
  circuit: CircuitSettings;
  /**
   * The dispatch sweeper (src/dispatch-sweeper.ts): how often it looks for stored events whose
   * fan-out did not finish, and how old such an event must be (so it does not race the request
   * still fanning it out). Seconds; defaults 5 and 10.
   */
  dispatchSweep: { intervalSeconds: number; graceSeconds: number };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Validates the whole environment at once; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  if (e.HERALD_RETENTION < e.HERALD_RESEND_WINDOW) {
    throw new ConfigError([
      `HERALD_RETENTION: must be at least HERALD_RESEND_WINDOW (${env.HERALD_RETENTION?.trim() || '30d'} < ${env.HERALD_RESEND_WINDOW?.trim() || '7d'}): a notification must stay stored, and resendable, for the whole resend window`,
    ]);
  }
  const config: Config = {
    port: e.PORT,
    apiKeys: e.HERALD_API_KEYS,
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.HERALD_TASK_QUEUE },
    mongodbUri: e.MONGODB_URI,
    dataDir: path.resolve(e.HERALD_DATA_DIR),
    embedded: { temporalPort: e.HERALD_TEMPORAL_PORT, temporalUiPort: e.HERALD_TEMPORAL_UI_PORT, mongoPort: e.HERALD_MONGO_PORT },
    temporalEngine: {
      engine: e.HERALD_TEMPORAL_ENGINE,
      postgresPort: e.HERALD_POSTGRES_PORT,
      postgresSynchronousCommit: e.HERALD_POSTGRES_SYNCHRONOUS_COMMIT,
    },
    allowPrivateDestinations: e.HERALD_ALLOW_PRIVATE_DESTINATIONS,
    httpsOnly: e.HERALD_HTTPS_ONLY,
    encryptionKey: e.HERALD_ENCRYPTION_KEY,
    maxBodyBytes: e.HERALD_MAX_BODY_BYTES,
    stream: { commitTimeoutMs: e.HERALD_STREAM_COMMIT_TIMEOUT_SECONDS * 1000, leaseMs: e.HERALD_STREAM_LEASE_SECONDS * 1000 },
    logLevel: e.HERALD_LOG_LEVEL,
    temporalUiUrl: e.HERALD_TEMPORAL_UI_URL ? e.HERALD_TEMPORAL_UI_URL.replace(/\/$/, '') : undefined,
    publicUrl: (e.HERALD_PUBLIC_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/$/, ''),
    tools: {
      temporalBin: e.HERALD_TEMPORAL_BIN,
      ferretdbBin: e.HERALD_FERRETDB_BIN,
      cacheDir: e.HERALD_TOOLS_DIR,
      temporalServerBin: e.HERALD_TEMPORAL_SERVER_BIN,
      temporalSqlToolBin: e.HERALD_TEMPORAL_SQL_TOOL_BIN,
      temporalUiServerBin: e.HERALD_TEMPORAL_UI_SERVER_BIN,
      postgresBinDir: e.HERALD_POSTGRES_BIN_DIR,
    },
    workerMetricsPort: e.HERALD_WORKER_METRICS_PORT,
    resendWindowSeconds: e.HERALD_RESEND_WINDOW,
    retentionSeconds: e.HERALD_RETENTION,
    circuit: {
      failureThreshold: e.HERALD_CIRCUIT_FAILURE_THRESHOLD,
      cooldownSeconds: e.HERALD_CIRCUIT_COOLDOWN,
      maxCooldownSeconds: Math.max(e.HERALD_CIRCUIT_MAX_COOLDOWN, e.HERALD_CIRCUIT_COOLDOWN),
      autoDisableAfterSeconds: e.HERALD_AUTO_DISABLE_AFTER === 0 ? null : e.HERALD_AUTO_DISABLE_AFTER,
    },
    dispatchSweep: { intervalSeconds: e.HERALD_DISPATCH_SWEEP_INTERVAL, graceSeconds: e.HERALD_DISPATCH_SWEEP_GRACE },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
