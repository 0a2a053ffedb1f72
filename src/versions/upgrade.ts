/**
 * What a receiver sees change when its version moves (an account's pin, a webhook's apiVersion):
 * the changes of every version crossed, as the receiver experiences them — going up, each
 * version's changes as declared; going down, inverted (a rename back, an add is a removal, a
 * remove brings the field back with its default).
 */
import type { ChainLink } from './convert';
import { compareVersions } from './semver-order';

export interface ReceiverChanges {
  renamed: Array<{ from: string; to: string; version: string }>;
  added: Array<{ path: string; default: unknown; version: string }>;
  removed: Array<{ path: string; version: string }>;
}

export function changesBetween(chain: readonly ChainLink[], from: string, to: string): ReceiverChanges {
  const out: ReceiverChanges = { renamed: [], added: [], removed: [] };
  const fromAt = chain.findIndex((l) => l.version === from);
  const toAt = chain.findIndex((l) => l.version === to);
  if (fromAt < 0 || toAt < 0 || fromAt === toAt) return out;
  if (compareVersions(from, to) < 0) {
    for (let i = fromAt + 1; i <= toAt; i++) {
      const version = chain[i].version;
      for (const c of chain[i].changes) {
        if (c.op === 'rename') out.renamed.push({ from: c.from, to: c.to, version });
        else if (c.op === 'add') out.added.push({ path: c.path, default: c.default, version });
        else out.removed.push({ path: c.path, version });
      }
    }
  } else {
    for (let i = fromAt; i > toAt; i--) {
      const version = chain[i].version;
      for (const c of [...chain[i].changes].reverse()) {
        if (c.op === 'rename') out.renamed.push({ from: c.to, to: c.from, version });
        else if (c.op === 'add') out.removed.push({ path: c.path, version });
        else out.added.push({ path: c.path, default: c.default, version });
      }
    }
  }
  return out;
}
