/**
 * Counts MongoDB commands by name on a mongoose connection whose client was opened with
 * `monitorCommands=true` (the bench adds it to the URI under --profile; src/db.ts is unchanged).
 */
import type { Connection } from 'mongoose';

export class CommandCounter {
  /** Keys: the command name (`update`), and the name with its collection (`update notifications`). */
  private counts = new Map<string, number>();

  constructor(connection: Connection) {
    connection.getClient().on('commandStarted', (e: { commandName: string; command: Record<string, unknown> }) => {
      const target = e.command[e.commandName];
      for (const key of [e.commandName, typeof target === 'string' ? `${e.commandName} ${target}` : null]) {
        if (key) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      }
    });
  }

  snapshot(): Map<string, number> {
    return new Map(this.counts);
  }

  static delta(before: Map<string, number>, after: Map<string, number>): Array<[string, number]> {
    return [...after]
      .map(([k, v]): [string, number] => [k, v - (before.get(k) ?? 0)])
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1]);
  }
}
