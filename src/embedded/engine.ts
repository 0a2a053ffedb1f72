/**
 * Which Temporal engine a data dir belongs to. Each engine keeps its own store (`temporal/` for
 * the dev server's SQLite, `temporal-server/` for PostgreSQL), but Herald's own data beside them
 * (FerretDB: events, notifications) refers to workflows that live in one of them only. Starting
 * the other engine on the same data dir would strand every notification in flight, so it is
 * refused, with what to do instead. The choice is written down at the first start.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileExists } from './files';

export type TemporalEngine = 'dev' | 'server';
export const TEMPORAL_ENGINES: readonly TemporalEngine[] = ['dev', 'server'];

const MARKER = 'temporal-engine';

/** The engine a data dir was used with, or null for a new one. */
export async function engineOfDataDir(dataDir: string): Promise<TemporalEngine | null> {
  const recorded = await fs.readFile(path.join(dataDir, MARKER), 'utf8').catch(() => null);
  const value = recorded?.trim();
  if (value === 'dev' || value === 'server') return value;
  // A data dir from before the marker: the dev server's database says which.
  if (await fileExists(path.join(dataDir, 'temporal', 'temporal.db'))) return 'dev';
  if (await fileExists(path.join(dataDir, 'temporal-server'))) return 'server';
  return null;
}

export async function checkEngineOfDataDir(dataDir: string, engine: TemporalEngine): Promise<void> {
  const used = await engineOfDataDir(dataDir);
  if (used !== null && used !== engine) {
    throw new Error(
      `The data dir ${dataDir} belongs to the Temporal engine "${used}", and HERALD_TEMPORAL_ENGINE is "${engine}".\n` +
        `Its notifications in flight live in the ${used} engine's store; starting the other engine on it would strand them.\n` +
        `Either start with HERALD_TEMPORAL_ENGINE=${used}, or give the ${engine} engine a data dir of its own (HERALD_DATA_DIR=<another directory>).`,
    );
  }
  if (used === null || !(await fileExists(path.join(dataDir, MARKER)))) {
    await fs.writeFile(path.join(dataDir, MARKER), `${engine}\n`, { mode: 0o600 });
  }
}
