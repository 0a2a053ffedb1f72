// Small DOM helpers. Text always goes through textContent, so data from events and receivers can
// never become markup.

/** h('a', {href: '#/x', class: 'btn'}, 'text', child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

let uid = 0;
/** A labelled form control: <div class="field"><label for>…</label>control<small hint></div>. */
export function field(label, control, hint) {
  control.id ||= `f${++uid}`;
  const hintEl = hint ? h('small', { id: `${control.id}-hint`, class: 'hint' }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  const isCheck = control.type === 'checkbox';
  return h('div', { class: isCheck ? 'field check' : 'field' }, isCheck ? [control, h('label', { for: control.id }, label)] : [h('label', { for: control.id }, label), control], hintEl);
}

export function select(name, options, value) {
  return h('select', { name }, options.map((o) => {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    return h('option', { value: v, selected: v === value }, text);
  }));
}

export function render(...nodes) {
  const main = document.getElementById('main');
  main.replaceChildren(...nodes.flat());
  return main;
}

let flashedAt = 0;
export function flash(message, kind = 'info') {
  flashedAt = Date.now();
  document.getElementById('flash').replaceChildren(h('p', { class: `flash ${kind}` }, message));
}

/** On navigation: a message flashed just before it ("Created …", then go to the page) survives. */
export function clearFlash({ unlessFresh = false } = {}) {
  if (unlessFresh && Date.now() - flashedAt < 1500) return;
  document.getElementById('flash').replaceChildren();
}

/** An error box listing every invalid field the API named. */
export function errorBox(err) {
  return h('div', { class: 'error', role: 'alert' },
    h('p', {}, err.message),
    err.details?.length ? h('ul', {}, err.details.map((d) => h('li', {}, h('code', {}, d.path || '(body)'), ': ', d.message))) : null);
}

export function formatDate(value) {
  if (!value) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function statusBadge(status) {
  return h('span', { class: `badge ${status}` }, status);
}

export function percent(rate) {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(rate === 1 ? 0 : 1)}%`;
}

/** Pretty-prints JSON bodies, leaves anything else as is. */
export function prettyBody(body) {
  if (typeof body !== 'string') return '';
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

export function headersTable(headers, caption) {
  const rows = Object.entries(headers ?? {});
  if (!rows.length) return h('p', { class: 'muted' }, `${caption}: none`);
  return h('table', { class: 'kv' }, h('caption', {}, caption),
    h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, h('code', {}, String(v)))))));
}

/**
 * A list table paged with "Load more": fetchPage(cursor) resolves to an API page ({ data, nextCursor },
 * cursor null for the first), row(item) makes one <tr>; `empty` is the muted text when the list has
 * no rows at all, and an error shows below the table. Returns the elements to render (the table,
 * the message box, the button) and load(), which appends the next page (await it for the first).
 */
export function pagedTable({ label, columns, fetchPage, row, empty }) {
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const out = h('div');
  let cursor = null;
  const load = async () => {
    try {
      const page = await fetchPage(cursor);
      tbody.append(...page.data.map((item) => row(item)));
      cursor = page.nextCursor;
      more.hidden = !cursor;
      if (!tbody.children.length) out.replaceChildren(h('p', { class: 'muted' }, empty));
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  };
  more.addEventListener('click', load);
  const table = h('table', { class: 'list', 'aria-label': label },
    h('thead', {}, h('tr', {}, columns.map((t) => h('th', { scope: 'col' }, t)))),
    tbody);
  return { elements: [table, out, more], load };
}

/** Polls fn every intervalMs until it returns true or the view changed (the hash moved on). */
export function pollWhile(fn, intervalMs = 1000) {
  const hash = location.hash;
  const tick = async () => {
    if (location.hash !== hash) return;
    let again = false;
    try {
      again = await fn();
    } catch {
      again = true;
    }
    if (again && location.hash === hash) setTimeout(tick, intervalMs);
  };
  setTimeout(tick, intervalMs);
}
