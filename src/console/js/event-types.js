// Event types: those seen and those with declared versions; a type's versions and the diff between two
// (what a receiver sees change when its version moves, as GET /v1/accounts/{id}/upgrade-preview says it).
import { api } from './api.js';
import { h, render, select, formatDate, prettyBody } from './dom.js';

export async function eventTypesView() {
  const list = await api('GET', '/v1/event-types');
  render(
    h('h1', {}, 'Event types'),
    h('p', {}, 'Types seen in recent events. A type with declared versions (PUT /v1/event-types/{type}/versions/{version}) is converted for each webhook to its apiVersion.'),
    h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, ['Type', 'Newest version', 'Seen', 'Last seen'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.data.filter((t) => !t.operational).map((t) => h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: `#/event-types/${encodeURIComponent(t.type)}` }, t.type)),
        h('td', {}, t.newestVersion ?? '—'),
        h('td', {}, String(t.count)),
        h('td', {}, t.lastSeenAt ? formatDate(t.lastSeenAt) : '—'))))),
  );
}

const compare = (a, b) => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
};

/** The changes between two versions as a receiver moving from `from` to `to` sees them (inverted going down). */
export function diffVersions(versions, from, to) {
  const lines = [];
  const up = compare(from, to) < 0;
  const crossed = versions.filter((v) => (up ? compare(v.version, from) > 0 && compare(v.version, to) <= 0 : compare(v.version, to) > 0 && compare(v.version, from) <= 0));
  if (!up) crossed.reverse();
  for (const v of crossed) {
    const changes = up ? v.changes : [...v.changes].reverse();
    for (const c of changes) {
      if (c.op === 'rename') lines.push(up ? `renamed ${c.from} → ${c.to}` : `renamed ${c.to} → ${c.from}`);
      else if ((c.op === 'add') === up) lines.push(`added ${c.path} (default ${JSON.stringify(c.default)})`);
      else lines.push(`removed ${c.path}`);
      lines[lines.length - 1] += ` — in ${v.version}`;
    }
  }
  return lines;
}

export async function eventTypeView(type) {
  const t = await api('GET', `/v1/event-types/${encodeURIComponent(type)}`);
  const names = t.versions.map((v) => v.version);
  const out = h('div');
  const from = select('from', names, names[0]);
  const to = select('to', names, names[names.length - 1]);
  const show = () => {
    const lines = from.value && to.value ? diffVersions(t.versions, from.value, to.value) : [];
    out.replaceChildren(lines.length ? h('ul', {}, lines.map((l) => h('li', {}, l))) : h('p', { class: 'muted' }, 'No change between these versions.'));
  };
  from.addEventListener('change', show);
  to.addEventListener('change', show);
  render(
    h('h1', {}, type),
    names.length
      ? h('div', {},
        h('h2', {}, 'Diff'),
        h('div', { class: 'inline' }, h('label', {}, 'From ', from), h('label', {}, ' to ', to)),
        out,
        h('h2', {}, 'Versions'),
        ...t.versions.map((v) => h('section', { class: 'card' },
          h('h3', {}, v.version, ' ', h('span', { class: 'muted' }, formatDate(v.updatedAt))),
          v.changes.length ? h('pre', {}, prettyBody(JSON.stringify(v.changes))) : h('p', { class: 'muted' }, 'No changes (first version, or same data shape).'),
          v.schema ? h('details', {}, h('summary', {}, 'Schema'), h('pre', {}, prettyBody(JSON.stringify(v.schema)))) : h('p', { class: 'muted' }, 'No schema.'))))
      : h('p', { class: 'muted' }, 'No declared versions: events of this type go out as posted.'),
  );
  if (names.length) show();
}
