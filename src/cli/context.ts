/**
 * What CLI commands share: the server's configuration (same environment variables, read once by
 * loadConfig), with the embedded stack's addresses when TEMPORAL_ADDRESS / MONGODB_URI are unset,
 * so `herald ...` next to a running `npm start` just works. Everything a command does runs in the
 * account of `--account` (default: `default`), as an API call with that account's key would.
 */
import { loadConfigOrExit } from '../boot';
import type { Config } from '../config';
import { connectDatabase, type Database } from '../db';
import { connectTemporal, type TemporalHandle } from '../temporal';
import { DEFAULT_ACCOUNT, inAccount } from '../accounts/scope';
import { accountIsLive } from '../accounts/live';

let cliAccount = DEFAULT_ACCOUNT;

/** Set once from `--account` before the command runs (src/cli.ts). */
export function setCliAccount(accountId: string): void {
  cliAccount = accountId;
}

export function cliConfig(): Readonly<Config> {
  return loadConfigOrExit(process.env);
}

export function cliAddresses(config: Readonly<Config>): { temporalAddress: string; mongodbUri: string } {
  return {
    temporalAddress: config.temporal.address ?? `127.0.0.1:${config.embedded.temporalPort}`,
    mongodbUri: config.mongodbUri ?? `mongodb://127.0.0.1:${config.embedded.mongoPort}/herald`,
  };
}

export async function withDatabase<T>(config: Readonly<Config>, fn: (db: Database) => Promise<T>): Promise<T> {
  const { mongodbUri } = cliAddresses(config);
  let db: Database;
  try {
    db = await connectDatabase(mongodbUri);
  } catch (err) {
    throw new Error(`cannot reach MongoDB at ${redactUri(mongodbUri)}: ${(err as Error).message}`);
  }
  try {
    if (!(await accountIsLive(db.models, cliAccount))) {
      throw new Error(`no account ${cliAccount} (see GET /v1/accounts)`);
    }
    return await inAccount(cliAccount, () => fn(db));
  } finally {
    await db.close();
  }
}

export async function withTemporal<T>(config: Readonly<Config>, fn: (t: TemporalHandle) => Promise<T>): Promise<T> {
  const { temporalAddress } = cliAddresses(config);
  let t: TemporalHandle;
  try {
    t = await connectTemporal({ address: temporalAddress, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue });
  } catch (err) {
    throw new Error(`cannot reach Temporal at ${temporalAddress}: ${(err as Error).message}`);
  }
  try {
    return await inAccount(cliAccount, () => fn(t));
  } finally {
    await t.close();
  }
}

function redactUri(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}
