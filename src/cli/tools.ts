/** `herald tools`: which temporal and ferretdb binaries the embedded stack uses (building them if needed). */
import type { Command } from 'commander';
import { loadConfigOrExit } from '../boot';
import { ensureTool } from '../embedded/tools';

export function registerToolsCommand(program: Command): void {
  program
    .command('tools')
    .description('print the paths of the temporal and ferretdb binaries the embedded stack uses')
    .action(async () => {
      const config = loadConfigOrExit(process.env);
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const temporal = await ensureTool('temporal', { explicitPath: config.tools.temporalBin, cacheDir: config.tools.cacheDir, log });
      const ferretdb = await ensureTool('ferretdb', { explicitPath: config.tools.ferretdbBin, cacheDir: config.tools.cacheDir, log });
      process.stdout.write(`temporal ${temporal}\nferretdb ${ferretdb}\n`);
    });
}
