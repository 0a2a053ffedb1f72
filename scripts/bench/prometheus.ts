/**
 * Prometheus text exposition, just enough to diff counters between two scrapes: the Temporal dev
 * server's `--metrics-port` and FerretDB's debug handler.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** From the family's `# TYPE` line (a histogram's _bucket/_sum/_count series are `histogram`). */
  type?: string;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  const types = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const typeLine = /^# TYPE (\S+) (\S+)/.exec(line);
    if (typeLine) types.set(typeLine[1], typeLine[2]);
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]] = l[2].replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    const type = types.get(m[1]) ?? types.get(m[1].replace(/_(bucket|sum|count)$/, ''));
    out.push({ name: m[1], labels, value: Number(m[3]), ...(type ? { type } : {}) });
  }
  return out;
}

function seriesKey(s: Sample): string {
  const labels = Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${s.labels[k]}`)
    .join(',');
  return `${s.name}{${labels}}`;
}

/** after − before for every series in `after` (series that first appear count from 0). */
export function diffSamples(before: readonly Sample[], after: readonly Sample[]): Sample[] {
  const base = new Map(before.map((s) => [seriesKey(s), s.value]));
  return after.map((s) => ({ ...s, value: s.value - (base.get(seriesKey(s)) ?? 0) }));
}

/**
 * Sums a metric's deltas grouped by one label or several joined by `.` (a missing label reads
 * `(none)`): e.g. persistence_requests by `service_name` and `operation`. Largest first.
 */
export function groupBy(samples: readonly Sample[], name: string, label: string | readonly string[]): Array<[string, number]> {
  const labels = typeof label === 'string' ? [label] : label;
  const sums = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = labels.map((l) => s.labels[l] ?? '(none)').join('.');
    sums.set(key, (sums.get(key) ?? 0) + s.value);
  }
  return [...sums].filter(([, v]) => v !== 0).sort((a, b) => b[1] - a[1]);
}

/** Total delta per counter (and histogram `_count`); gauges and buckets left out. Largest first. */
export function totalsByName(samples: readonly Sample[]): Array<[string, number]> {
  const sums = new Map<string, number>();
  for (const s of samples) {
    if (s.type === 'gauge' || s.name.endsWith('_bucket') || (s.type === 'histogram' && !s.name.endsWith('_count'))) continue;
    sums.set(s.name, (sums.get(s.name) ?? 0) + s.value);
  }
  return [...sums].filter(([, v]) => v !== 0).sort((a, b) => b[1] - a[1]);
}

export async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return parsePrometheus(await res.text());
}
