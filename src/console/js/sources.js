// Inbound sources: each has a signed direct URL any system can POST to. Passwords are write-only.
import { api } from './api.js';
import { h, field, render, flash, errorBox, formatDate } from './dom.js';

function sourceForm(s, onDone) {
  const name = h('input', { name: 'name', value: s?.name ?? '', required: true });
  const eventType = h('input', { name: 'eventType', value: s?.eventType ?? '', required: true });
  const user = h('input', { name: 'basicUsername', value: s?.basicAuth?.username ?? '', autocomplete: 'off' });
  const pass = h('input', { name: 'basicPassword', type: 'password', autocomplete: 'new-password', placeholder: s?.basicAuth ? 'unchanged (write-only)' : '' });
  const removeAuth = h('input', { type: 'checkbox', name: 'removeAuth' });
  const out = h('div');
  return h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    const body = { name: name.value, eventType: eventType.value };
    if (removeAuth.checked) body.basicAuth = null;
    else if (pass.value) body.basicAuth = { username: user.value, password: pass.value };
    else if (user.value && user.value !== s?.basicAuth?.username) return out.replaceChildren(errorBox({ message: 'Enter the password too: it is write-only.' }));
    try {
      const saved = s ? await api('PATCH', `/v1/sources/${encodeURIComponent(s.id)}`, body) : await api('POST', '/v1/sources', body);
      flash(`${s ? 'Saved' : 'Created'} source "${saved.name}".`, 'good');
      onDone();
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  } },
  h('h2', {}, s ? `Edit ${s.name}` : 'New source'),
  h('div', { class: 'inline' }, field('Name', name), field('Event type', eventType, 'Every request to the direct URL becomes an event of this type.')),
  h('fieldset', {}, h('legend', {}, 'Basic auth (optional)'),
    h('div', { class: 'inline' }, field('Username', user), field('Password', pass, 'write-only; or {{env_var[@name].pass}}')),
    s?.basicAuth ? field('Switch basic auth off (erases the stored credentials)', removeAuth) : null),
  h('button', { type: 'submit' }, s ? 'Save source' : 'Create source'),
  out);
}

export async function sourcesView() {
  const list = await api('GET', '/v1/sources?limit=200');
  const editor = h('div');
  const reload = () => sourcesView();
  render(
    h('h1', {}, 'Inbound sources'),
    h('p', {}, 'A source lets any system that can send a webhook push events into Herald, without an API key: the signed URL is the credential.'),
    list.data.length
      ? h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, ['Name', 'Event type', 'Direct URL', 'Basic auth', 'Updated', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, list.data.map((s) => h('tr', {},
          h('th', { scope: 'row' }, s.name),
          h('td', {}, s.eventType),
          h('td', {}, h('code', { class: 'wrap' }, s.directUrl)),
          h('td', {}, s.basicAuth ? `on (${s.basicAuth.username})` : 'off'),
          h('td', {}, formatDate(s.updatedAt)),
          h('td', {},
            h('button', { type: 'button', class: 'link', onclick: () => editor.replaceChildren(sourceForm(s, reload)) }, `Edit ${s.name}`), ' ',
            h('button', { type: 'button', class: 'link danger', onclick: async () => {
              if (!confirm(`Delete the source "${s.name}"? Its direct URL stops working.`)) return;
              await api('DELETE', `/v1/sources/${encodeURIComponent(s.id)}`);
              reload();
            } }, `Delete ${s.name}`))))))
      : h('p', { class: 'muted' }, 'No sources yet.'),
    editor,
    sourceForm(null, reload),
  );
}
