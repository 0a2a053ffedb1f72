/**
 * The bench's output: one `key: value` line per figure (greppable, stable keys with dots), and the
 * same figures nested as JSON for `--json <file>`.
 */
export type Value = number | string;

export class Report {
  readonly entries: Array<[string, Value]> = [];

  constructor(private readonly out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {}

  /** Records and prints at once, so a run that dies halfway still shows what it measured. */
  set(key: string, value: Value, digits = 1): void {
    const v = typeof value === 'number' && !Number.isInteger(value) ? Number(value.toFixed(digits)) : value;
    this.entries.push([key, v]);
    this.out(`${key}: ${v}`);
  }

  toJSON(): Record<string, unknown> {
    return nest(this.entries);
  }
}

/** `a.b.c: 1` → `{ a: { b: { c: 1 } } }`; a key that is both a leaf and a prefix keeps its value under `_`. */
export function nest(entries: ReadonlyArray<[string, Value]>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    const parts = key.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const existing = node[part];
      if (existing === undefined) node[part] = {};
      else if (typeof existing !== 'object') node[part] = { _: existing };
      node = node[part] as Record<string, unknown>;
    }
    const leaf = parts[parts.length - 1];
    if (typeof node[leaf] === 'object' && node[leaf] !== null) (node[leaf] as Record<string, unknown>)._ = value;
    else node[leaf] = value;
  }
  return root;
}
