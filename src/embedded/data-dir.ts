/**
 * The data directory holds the embedded services' databases and Herald's generated keys: only
 * its owner may read it. New files get that from the umask the services run under (see
 * child-process.ts) and from the modes Herald writes its key files with; this brings an existing
 * directory, made by an older version or by hand, to the same modes at every start.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;

/** Creates `dir` if needed, then makes it and every directory below it 0700 and every file 0600. */
export async function secureDataDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: DATA_DIR_MODE });
  await secureTree(dir);
}

async function secureTree(dir: string): Promise<void> {
  await fs.chmod(dir, DATA_DIR_MODE);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    // Symbolic links are left alone: chmod would follow them out of the data directory.
    if (entry.isDirectory()) await secureTree(full).catch(ignoreVanished);
    else if (entry.isFile()) await fs.chmod(full, DATA_FILE_MODE).catch(ignoreVanished);
  }
}

/** A file removed while we walk (a service's journal, say) needs no mode. */
function ignoreVanished(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
