/**
 * One mongoose connection per process (or per test file, each with its own database name), and
 * the models bound to it. Nothing here uses what FerretDB lacks: no transactions, no TTL or
 * partial indexes, no change streams.
 */
import mongoose, { type Connection } from 'mongoose';
import { createModels, type Models } from './models';
import { adoptPreAccountData } from './accounts/adopt';
import { existingRollups } from './stats/rollups';

export interface Database {
  connection: Connection;
  models: Models;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** MongoDB's duplicate-key error code (a unique index, `_id` included, refused an insert). */
export const DUPLICATE_KEY = 11000;

export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number } | null)?.code === DUPLICATE_KEY;
}

// Mongoose keeps `new Error().stack` of every query it executes, only to explain a "Query was
// already executed" error (the error is still thrown without it). `npm run bench:mongo` measured
// 0.1–0.2 CPU-ms saved per lean read by id (of 0.6–0.7) once warm: every hot-path query pays it.
mongoose.set('skipOriginalStackTraces', true);

export async function connectDatabase(uri: string, opts: { dbName?: string } = {}): Promise<Database> {
  const connection = mongoose.createConnection(uri, {
    dbName: opts.dbName,
    serverSelectionTimeoutMS: 5000,
    // Indexes are created explicitly below, once, rather than on every model compile.
    autoIndex: false,
    autoCreate: true,
  });
  await connection.asPromise();
  const models = createModels(connection);
  await adoptPreAccountData(models);
  await Promise.all(Object.values(models).map((m) => m.createIndexes()));
  return {
    connection,
    models,
    async ping() {
      try {
        await connection.db!.admin().ping();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      // This process's unwritten stats counts first (src/stats/rollups.ts): a clean stop loses none.
      await existingRollups(models)?.close().catch(() => {});
      await connection.close();
    },
  };
}
