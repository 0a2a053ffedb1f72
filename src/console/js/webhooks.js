// Webhooks: the list, and one form to create or edit every field, with the placeholder picker,
// the preview and the per-entity subscriptions.
import { api, query } from './api.js';
import { h, field, select, render, flash, errorBox, headersTable, prettyBody, formatDate } from './dom.js';
import { deliveriesPanel } from './charts.js';

// The same list as the API's (src/routes/webhook-schema.ts): shown as you type, and the API's own
// `warnings` after saving are the authority.
const RESERVED = ['host', 'content-length', 'content-type', 'authorization', 'transfer-encoding', 'connection', 'user-agent', 'x-notifications-idempotency-key'];
const isReserved = (name) => RESERVED.includes(name.toLowerCase()) || name.toLowerCase().startsWith('webhook-');
const FIXED_PLACEHOLDERS = ['event.id', 'event.type', 'event.occurredAt', 'event.entityIds', 'notification.id', 'webhook.id', 'webhook.name'];
const RETRY_DEFAULTS = { maxAttempts: 12, initialIntervalSeconds: 10, backoffCoefficient: 2, maxIntervalSeconds: 7200 };

export async function webhooksView() {
  const [list, stats] = await Promise.all([api('GET', '/v1/webhooks?limit=200'), api('GET', '/v1/stats/webhooks')]);
  const rate = new Map(stats.data.map((s) => [s.webhookId, s]));
  render(
    h('div', { class: 'title-row' }, h('h1', {}, 'Webhooks'), h('a', { class: 'button', href: '#/webhooks/new' }, 'New webhook')),
    list.data.length
      ? h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, ['Name', 'Enabled', 'Event types', 'Destination', 'Last 24 h', 'Circuit'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, list.data.map((w) => {
          const s = rate.get(w.id);
          return h('tr', {},
            h('th', { scope: 'row' }, h('a', { href: `#/webhooks/${encodeURIComponent(w.id)}` }, w.name)),
            h('td', {}, w.enabled ? 'yes' : 'no'),
            h('td', {}, w.eventTypes.join(', ')),
            h('td', {}, h('code', {}, `${w.method} ${w.url}`)),
            h('td', {}, s ? `${s.notifications.sent} sent, ${s.notifications.failed} failed` : '—'),
            h('td', {}, w.health?.state ?? '—'));
        })))
      : h('p', { class: 'muted' }, 'No webhooks yet. ', h('a', { href: '#/webhooks/new' }, 'Create the first one.')),
  );
}

const num = (name, value, attrs = {}) => h('input', { type: 'number', name, value: value ?? '', step: 'any', ...attrs });

/** A key/value editor for static headers, warning about reserved names as you type. */
function headersEditor(initial) {
  const rows = h('div', { class: 'rows' });
  const addRow = (name = '', value = '') => {
    const n = h('input', { name: 'headerName', value: name, 'aria-label': 'Header name', placeholder: 'X-Tenant' });
    const v = h('input', { name: 'headerValue', value, 'aria-label': 'Header value' });
    const warn = h('small', { class: 'warn', 'aria-live': 'polite' });
    const check = () => (warn.textContent = n.value && isReserved(n.value) ? `"${n.value}" is reserved: Herald sets it itself and will ignore this header.` : '');
    n.addEventListener('input', check);
    check();
    const row = h('div', { class: 'row' }, n, v, h('button', { type: 'button', class: 'link', onclick: () => row.remove() }, 'Remove'), warn);
    rows.append(row);
  };
  for (const [k, v] of Object.entries(initial ?? {})) addRow(k, v);
  const el = h('fieldset', {}, h('legend', {}, 'Static headers'), rows, h('button', { type: 'button', class: 'secondary', onclick: () => addRow() }, 'Add header'));
  el.value = () => {
    const out = {};
    for (const row of rows.children) {
      const [n, v] = row.querySelectorAll('input');
      if (n.value.trim()) out[n.value.trim()] = v.value;
    }
    return out;
  };
  return el;
}

/** Buttons inserting `{{placeholder}}` at the cursor of the URL or body template last focused. */
function placeholderPicker(eventTypes, targets) {
  let target = targets[targets.length - 1];
  for (const t of targets) t.addEventListener('focus', () => (target = t));
  const typeSelect = select('pickerType', eventTypes.map((t) => [t.type, `${t.type} (${t.operational ? 'Herald operational event, ' : ''}${t.count} seen)`]));
  const buttons = h('div', { class: 'chips', role: 'group', 'aria-label': 'Placeholders' });
  const insert = (text) => {
    const start = target.selectionStart ?? target.value.length;
    target.setRangeText(text, start, target.selectionEnd ?? start, 'end');
    target.dispatchEvent(new Event('input'));
    target.focus();
  };
  const fill = () => {
    const t = eventTypes.find((e) => e.type === typeSelect.value);
    const paths = [...FIXED_PLACEHOLDERS, ...(t?.dataPaths ?? []).map((p) => `data.${p}`)];
    buttons.replaceChildren(...paths.map((p) => h('button', { type: 'button', class: 'chip', onclick: () => insert(`{{${p}}}`) }, `{{${p}}}`)));
  };
  typeSelect.addEventListener('change', fill);
  fill();
  return h('fieldset', { class: 'picker' }, h('legend', {}, 'Placeholders'),
    h('p', { class: 'hint' }, 'Click to insert at the cursor of the URL or the body template. Data paths come from the events Herald has seen.'),
    eventTypes.length ? field('Event type', typeSelect) : h('p', { class: 'muted' }, 'No events seen yet: only the event and webhook placeholders are offered.'),
    buttons);
}

function formValues(f, headers, isNew, original) {
  const errors = [];
  const v = (name) => f.elements[name].value;
  let condition = null;
  if (v('condition').trim()) {
    try {
      condition = JSON.parse(v('condition'));
    } catch {
      errors.push({ path: 'condition', message: 'must be JSON (a MongoDB-style filter), or empty' });
    }
  }
  const body = {
    name: v('name'),
    enabled: f.elements.enabled.checked,
    eventTypes: v('eventTypes').split(',').map((s) => s.trim()).filter(Boolean),
    condition,
    targeting: v('targeting'),
    url: v('url'),
    method: v('method'),
    contentType: v('contentType'),
    bodyTemplate: f.elements.useTemplate.checked ? v('bodyTemplate') : null,
    payloadVersion: v('payloadVersion'),
    headers: headers.value(),
    idempotencyKey: f.elements.idempotencyKey.checked,
    signing: { enabled: f.elements.signing.checked },
    retry: Object.fromEntries(Object.keys(RETRY_DEFAULTS).map((k) => [k, Number(v(`retry.${k}`))])),
    timeoutSeconds: Number(v('timeoutSeconds')),
    rateLimit: v('rateLimit') ? { [v('rateLimitUnit')]: Number(v('rateLimit')) } : null,
    maxConcurrency: v('maxConcurrency') ? Number(v('maxConcurrency')) : null,
    circuitBreaker: circuitOverrides(v),
    autoDisableAfterSeconds: v('autoDisableAfterSeconds') === '' ? null : Number(v('autoDisableAfterSeconds')),
  };
  // The password is write-only: on edit, basic auth is sent only when a new password was typed
  // (or auth is switched off), so saving other fields never needs it again.
  const authType = v('authType');
  if (authType === 'none') body.auth = { type: 'none' };
  else if (v('authPassword')) body.auth = { type: 'basic', username: v('authUsername'), password: v('authPassword') };
  else if (isNew || original?.auth?.type !== 'basic' || original.auth.username !== v('authUsername')) {
    errors.push({ path: 'auth.password', message: 'enter the password (it is write-only and never shown back)' });
  }
  return { body, errors };
}

/** The circuit-breaker overrides typed in the form; null (Herald's defaults) when none is. */
function circuitOverrides(v) {
  const cb = {};
  if (v('circuit.failureThreshold') !== '') cb.failureThreshold = Number(v('circuit.failureThreshold'));
  if (v('circuit.cooldownSeconds') !== '') cb.cooldownSeconds = Number(v('circuit.cooldownSeconds'));
  return Object.keys(cb).length ? cb : null;
}

/** The endpoint's health in one line: why Herald disabled it, or what its circuit is doing. */
function healthLine(w) {
  const hl = w.health;
  if (w.disabledReason) return h('p', { class: 'warn', id: 'webhook-health', role: 'status' }, `Disabled by Herald ${formatDate(w.disabledAt)}: ${w.disabledReason}. Enable it again when the receiver is fixed.`);
  if (!hl || (hl.state === 'closed' && hl.consecutiveFailures === 0)) return null;
  const recent = hl.recent?.attempts ? ` · last 15 min: ${hl.recent.failures} of ${hl.recent.attempts} attempts failed` : '';
  const state = hl.state === 'open' ? `circuit open since ${formatDate(hl.since)}, next probe ${formatDate(hl.nextProbeAt)}` : hl.state === 'half-open' ? 'circuit half-open: a probe is in flight' : 'circuit closed';
  return h('p', { class: 'warn', id: 'webhook-health', role: 'status' }, `${state} · ${hl.consecutiveFailures} failures in a row (opens at ${hl.thresholds.failureThreshold})${recent}`);
}

export async function webhookFormView(id) {
  const isNew = id === null;
  const [w, eventTypes] = await Promise.all([
    isNew ? Promise.resolve(null) : api('GET', `/v1/webhooks/${encodeURIComponent(id)}`),
    api('GET', '/v1/event-types').then((r) => r.data),
  ]);
  const d = w ?? { enabled: true, eventTypes: [], targeting: 'opt-out', method: 'POST', contentType: 'application/json', bodyTemplate: null, payloadVersion: '', headers: {}, auth: { type: 'none' }, idempotencyKey: true, signing: { enabled: true }, retry: RETRY_DEFAULTS, timeoutSeconds: 15 };

  const url = h('input', { name: 'url', value: d.url ?? '', required: true, placeholder: 'https://crm.example.com/loans/{{data.loanId}}' });
  const template = h('textarea', { name: 'bodyTemplate', rows: 8, spellcheck: 'false' }, d.bodyTemplate ?? '');
  const useTemplate = h('input', { type: 'checkbox', name: 'useTemplate', checked: d.bodyTemplate !== null });
  const syncTemplate = () => (template.disabled = !useTemplate.checked);
  useTemplate.addEventListener('change', syncTemplate);
  syncTemplate();
  const headers = headersEditor(d.headers);
  const authType = select('authType', [['none', 'None'], ['basic', 'Basic']], d.auth.type);
  const authUser = h('input', { name: 'authUsername', value: d.auth.username ?? '', autocomplete: 'off' });
  const authPass = h('input', { name: 'authPassword', type: 'password', autocomplete: 'new-password', placeholder: d.auth.type === 'basic' ? 'unchanged (write-only)' : '' });
  const basicFields = h('div', { class: 'inline' },
    field('Username', authUser, 'or {{env_var[@name].user}}'),
    field('Password', authPass, 'write-only; or {{env_var[@name].pass}}'));
  const syncAuth = () => (basicFields.hidden = authType.value !== 'basic');
  authType.addEventListener('change', syncAuth);
  syncAuth();
  const out = h('div', { 'aria-live': 'polite' });

  const typesList = h('datalist', { id: 'event-type-list' }, eventTypes.map((t) => h('option', { value: t.type })));
  const form = h('form', { class: 'card webhook-form', novalidate: true },
    h('fieldset', {}, h('legend', {}, 'What and when'),
      field('Name', h('input', { name: 'name', value: d.name ?? '', required: true })),
      field('Enabled', h('input', { type: 'checkbox', name: 'enabled', checked: d.enabled })),
      field('Event types', h('input', { name: 'eventTypes', value: d.eventTypes.join(', '), list: 'event-type-list', required: true }), 'Comma-separated; "*" matches every event type.'),
      typesList,
      field('Condition', h('textarea', { name: 'condition', rows: 3, spellcheck: 'false' }, d.condition ? JSON.stringify(d.condition, null, 2) : ''), 'MongoDB-style filter over {type, data, entityIds}, e.g. {"data.amount": {"$gte": 1000}}. Empty: every event.'),
      field('Targeting', select('targeting', [['opt-out', 'opt-out: every entity except those switched off'], ['opt-in', 'opt-in: only entities switched on']], d.targeting))),
    h('fieldset', {}, h('legend', {}, 'Request'),
      field('URL template', url, 'http or https; placeholders only in the path and query.'),
      h('div', { class: 'inline' },
        field('Method', select('method', ['POST', 'PUT', 'PATCH'], d.method)),
        field('Content type', select('contentType', ['application/json', 'application/xml', 'text/plain'], d.contentType)),
        field('Payload version', h('input', { name: 'payloadVersion', value: d.payloadVersion, list: 'payload-versions', placeholder: 'newest (pinned)' }), 'The default envelope, when there is no body template.'),
        h('datalist', { id: 'payload-versions' }, ['latest', '2026-11-01', '2025-01-01'].map((v) => h('option', { value: v })))),
      field('Use a body template', useTemplate, 'Off: the default JSON envelope of the payload version.'),
      field('Body template (Handlebars)', template, 'In JSON, {{x}} writes the value escaped without quotes; {{json x}} writes a whole value.'),
      placeholderPicker(eventTypes, [url, template]),
      headers),
    h('fieldset', {}, h('legend', {}, 'Authentication and signing'),
      field('Auth', authType),
      basicFields,
      field('Send x-notifications-idempotency-key', h('input', { type: 'checkbox', name: 'idempotencyKey', checked: d.idempotencyKey })),
      field('Sign requests (Standard Webhooks)', h('input', { type: 'checkbox', name: 'signing', checked: d.signing.enabled }))),
    h('fieldset', {}, h('legend', {}, 'Retries'),
      h('div', { class: 'inline' },
        field('Max attempts', num('retry.maxAttempts', d.retry.maxAttempts, { min: 1, max: 50, step: 1 })),
        field('First interval (s)', num('retry.initialIntervalSeconds', d.retry.initialIntervalSeconds, { min: 1 })),
        field('Backoff coefficient', num('retry.backoffCoefficient', d.retry.backoffCoefficient, { min: 1, max: 10 })),
        field('Max interval (s)', num('retry.maxIntervalSeconds', d.retry.maxIntervalSeconds, { min: 1 })),
        field('Timeout per attempt (s)', num('timeoutSeconds', d.timeoutSeconds, { min: 1, max: 60, step: 1 })))),
    h('fieldset', {}, h('legend', {}, 'Flow control'),
      h('div', { class: 'inline' },
        field('Rate limit', num('rateLimit', d.rateLimit?.perSecond ?? d.rateLimit?.perMinute ?? '', { min: 1, step: 1 }), 'Empty: no limit. Held across all workers.'),
        field('per', select('rateLimitUnit', [['perSecond', 'second'], ['perMinute', 'minute']], d.rateLimit?.perMinute ? 'perMinute' : 'perSecond')),
        field('Max concurrency', num('maxConcurrency', d.maxConcurrency ?? '', { min: 1, step: 1 }), 'Requests in flight at once; empty: no limit.')),
      h('div', { class: 'inline' },
        field('Circuit opens after failures in a row', num('circuit.failureThreshold', d.circuitBreaker?.failureThreshold ?? '', { min: 1, max: 1000, step: 1 }), "Empty: Herald's default."),
        field('Circuit cool-down (s)', num('circuit.cooldownSeconds', d.circuitBreaker?.cooldownSeconds ?? '', { min: 1, max: 86400, step: 1 }), 'Before the first probe; doubles after each failed one.'),
        field('Auto-disable after (s) failing', num('autoDisableAfterSeconds', d.autoDisableAfterSeconds ?? '', { min: 0, step: 1 }), "0: never; empty: Herald's default."))),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, isNew ? 'Create webhook' : 'Save changes'),
      isNew ? null : h('button', { type: 'button', class: 'danger', onclick: () => deleteWebhook(w) }, 'Delete')),
    out);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const { body, errors } = formValues(form, headers, isNew, w);
    if (!body.payloadVersion) delete body.payloadVersion;
    if (errors.length) return out.replaceChildren(errorBox({ message: 'Please correct these fields.', details: errors }));
    try {
      const saved = isNew ? await api('POST', '/v1/webhooks', body) : await api('PATCH', `/v1/webhooks/${encodeURIComponent(w.id)}`, body);
      const note = saved.warnings?.length ? ` Warnings: ${saved.warnings.join('; ')}` : '';
      flash(`${isNew ? 'Created' : 'Saved'} "${saved.name}".${note}`, saved.warnings?.length ? 'warn' : 'good');
      if (isNew) location.hash = `#/webhooks/${encodeURIComponent(saved.id)}`;
      else await webhookFormView(saved.id);
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  });

  render(
    h('p', {}, h('a', { href: '#/webhooks' }, '← Webhooks')),
    h('h1', {}, isNew ? 'New webhook' : w.name),
    w ? h('p', { class: 'muted' }, `${w.id} · created ${formatDate(w.createdAt)} · updated ${formatDate(w.updatedAt)}`, w.health ? ` · circuit ${w.health.state}` : '',
      ' · ', h('a', { href: `#/notifications${query({ webhookId: w.id })}` }, 'its history')) : null,
    w ? healthLine(w) : null,
    w ? deliveriesPanel({ webhookId: w.id, title: 'Deliveries' }) : null,
    form,
    w ? previewPanel(w, eventTypes) : h('p', { class: 'muted' }, 'Preview and subscriptions are available once the webhook is created.'),
    w ? await subscriptionsPanel(w) : null,
  );
}

async function deleteWebhook(w) {
  if (!confirm(`Delete the webhook "${w.name}"? Its history is kept.`)) return;
  await api('DELETE', `/v1/webhooks/${encodeURIComponent(w.id)}`);
  flash(`Deleted "${w.name}".`);
  location.hash = '#/webhooks';
}

/** Renders the saved webhook for an event (the newest seen event of its type, editable); sends nothing. */
function previewPanel(w, eventTypes) {
  const seen = eventTypes.find((t) => w.eventTypes.includes(t.type)) ?? null;
  const type = h('input', { name: 'previewType', value: seen?.type ?? (w.eventTypes[0] === '*' ? '' : w.eventTypes[0]), required: true, list: 'event-type-list' });
  const entities = h('input', { name: 'previewEntities', placeholder: 'client-1, loan-7' });
  const data = h('textarea', { name: 'previewData', rows: 6, spellcheck: 'false' }, '{}');
  const out = h('div', { class: 'preview-out', 'aria-live': 'polite' });
  const loadSample = async (eventId) => {
    const ev = await api('GET', `/v1/events/${encodeURIComponent(eventId)}`);
    type.value = ev.type;
    entities.value = ev.entityIds.join(', ');
    data.value = JSON.stringify(ev.data, null, 2);
  };
  // An operational type not seen yet has no event to sample.
  if (seen?.latestEventId) loadSample(seen.latestEventId).catch(() => {});
  const form = h('form', { class: 'card', 'aria-labelledby': 'preview-h', onsubmit: async (e) => {
    e.preventDefault();
    let parsed;
    try {
      parsed = JSON.parse(data.value || '{}');
    } catch {
      return out.replaceChildren(errorBox({ message: 'Event data must be JSON.' }));
    }
    try {
      const p = await api('POST', `/v1/webhooks/${encodeURIComponent(w.id)}/preview`, {
        event: { type: type.value, data: parsed, entityIds: entities.value.split(',').map((s) => s.trim()).filter(Boolean) },
      });
      out.replaceChildren(
        p.warnings.length ? h('ul', { class: 'warnings' }, p.warnings.map((x) => h('li', {}, x))) : h('p', { class: 'good' }, 'No warnings: a real event like this one would be sent.'),
        h('p', {}, h('code', { class: 'request-line' }, `${p.method} ${p.url}`)),
        headersTable(p.headers, 'Headers'),
        h('pre', { class: 'body', tabindex: 0, 'aria-label': 'Rendered body' }, prettyBody(p.body)));
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  } },
  h('h2', { id: 'preview-h' }, 'Preview'),
  h('p', { class: 'hint' }, 'Renders the saved webhook with the same code the worker uses; nothing is sent. Save your changes first.'),
  h('div', { class: 'inline' }, field('Event type', type), field('Entity IDs', entities)),
  field('Event data (JSON)', data, seen ? 'Filled from the newest event of this type.' : undefined),
  h('button', { type: 'submit' }, 'Preview'),
  out);
  return form;
}

async function subscriptionsPanel(w) {
  const list = await api('GET', `/v1/webhooks/${encodeURIComponent(w.id)}/subscriptions?limit=200`);
  const entity = h('input', { name: 'entityId', required: true });
  const enabled = select('subscriptionEnabled', [['true', 'on'], ['false', 'off']], w.targeting === 'opt-in' ? 'true' : 'false');
  const out = h('div');
  const refresh = () => webhookFormView(w.id);
  return h('section', { class: 'card', 'aria-labelledby': 'subs-h' },
    h('h2', { id: 'subs-h' }, 'Subscriptions'),
    h('p', { class: 'hint' }, w.targeting === 'opt-in' ? 'Opt-in: only entities switched on receive events.' : 'Opt-out: every entity receives events except those switched off.'),
    list.data.length
      ? h('table', { class: 'list' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Entity'), h('th', { scope: 'col' }, 'Switch'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
        h('tbody', {}, list.data.map((s) => h('tr', {}, h('td', {}, s.entityId), h('td', {}, s.enabled ? 'on' : 'off'),
          h('td', {}, h('button', { type: 'button', class: 'link', onclick: async () => {
            await api('DELETE', `/v1/webhooks/${encodeURIComponent(w.id)}/subscriptions/${encodeURIComponent(s.entityId)}`);
            refresh();
          } }, `Remove ${s.entityId}`))))))
      : h('p', { class: 'muted' }, 'No switches: every entity follows the default.'),
    h('form', { class: 'inline', onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api('PUT', `/v1/webhooks/${encodeURIComponent(w.id)}/subscriptions/${encodeURIComponent(entity.value.trim())}`, { enabled: enabled.value === 'true' });
        refresh();
      } catch (err) {
        out.replaceChildren(errorBox(err));
      }
    } }, field('Entity ID', entity), field('Switch', enabled), h('button', { type: 'submit' }, 'Set switch')),
    out);
}
