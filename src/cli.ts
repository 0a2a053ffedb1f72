/**
 * `npx herald <command>`: operating Herald from a terminal. Uses the same environment variables
 * as the server. Each command lives in src/cli/<command>.ts.
 */
import { Command } from 'commander';
import { HERALD_VERSION } from './runtime';
import { registerToolsCommand } from './cli/tools';
import { registerResendCommand } from './cli/resend';
import { registerReplayCommand } from './cli/replay';
import { registerNotificationsCommand } from './cli/notifications';
import { registerListenCommand } from './cli/listen';
import { registerPurgeCommand } from './cli/purge';
import { setCliAccount } from './cli/context';
import { DEFAULT_ACCOUNT } from './accounts/scope';
import { registerStreamCommand } from './cli/stream';

export function buildCli(): Command {
  const program = new Command('herald').description('Herald webhook notifications').version(HERALD_VERSION);
  program
    .option('--account <id>', 'the account to act on (acc_...); env HERALD_ACCOUNT', process.env.HERALD_ACCOUNT ?? DEFAULT_ACCOUNT)
    .hook('preAction', (command) => setCliAccount(String(command.opts().account)));
  registerResendCommand(program);
  registerReplayCommand(program);
  registerNotificationsCommand(program);
  registerListenCommand(program);
  registerPurgeCommand(program);
  registerStreamCommand(program);
  registerToolsCommand(program);
  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`herald: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

if (require.main === module) void runCli(process.argv);
