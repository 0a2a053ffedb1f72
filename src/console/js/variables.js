// Variables: named credential pairs, write-only. The console shows names and references only.
import { api } from './api.js';
import { h, field, render, flash, errorBox, formatDate } from './dom.js';

export async function variablesView() {
  const list = await api('GET', '/v1/variables?limit=200');
  const name = h('input', { name: 'name', required: true, pattern: '[A-Za-z0-9_.\\-]{1,100}' });
  const user = h('input', { name: 'user', required: true, autocomplete: 'off' });
  const pass = h('input', { name: 'pass', type: 'password', required: true, autocomplete: 'new-password' });
  const out = h('div');
  render(
    h('h1', {}, 'Variables'),
    h('p', {}, 'Credentials kept encrypted and never shown back. Use them in webhook auth or source basic auth as ',
      h('code', {}, '{{env_var[@name].user}}'), ' and ', h('code', {}, '{{env_var[@name].pass}}'), '.'),
    list.data.length
      ? h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, ['Name', 'References', 'Changed', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, list.data.map((v) => h('tr', {},
          h('th', { scope: 'row' }, v.name),
          h('td', {}, h('code', {}, v.references.user), ' ', h('code', {}, v.references.pass)),
          h('td', {}, formatDate(v.updatedAt)),
          h('td', {},
            h('button', { type: 'button', class: 'link', onclick: () => { name.value = v.name; user.focus(); } }, `Replace ${v.name}`), ' ',
            h('button', { type: 'button', class: 'link danger', onclick: async () => {
              if (!confirm(`Delete the variable "${v.name}"? Credentials that reference it stop working.`)) return;
              await api('DELETE', `/v1/variables/${encodeURIComponent(v.name)}`);
              variablesView();
            } }, `Delete ${v.name}`))))))
      : h('p', { class: 'muted' }, 'No variables yet.'),
    h('form', { class: 'card', onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api('PUT', `/v1/variables/${encodeURIComponent(name.value.trim())}`, { user: user.value, pass: pass.value });
        flash(`Saved variable "${name.value.trim()}".`, 'good');
        variablesView();
      } catch (err) {
        out.replaceChildren(errorBox(err));
      }
    } },
    h('h2', {}, 'Set a variable'),
    h('div', { class: 'inline' }, field('Name', name), field('User', user), field('Pass', pass)),
    h('button', { type: 'submit' }, 'Save variable'),
    out),
  );
}
