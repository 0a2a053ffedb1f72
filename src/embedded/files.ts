/** Small file-system questions the embedded stack asks (data dirs, markers, tool binaries). */
import { promises as fs } from 'node:fs';

/** Whether a file or directory exists (and this process may see it). */
export async function fileExists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
