// The communication history: filters, bulk resend with progress, and one notification's page
// with the exact request, every attempt and its response, Resend, and its Temporal workflow.
import { api, query } from './api.js';
import { h, field, select, render, flash, errorBox, formatDate, statusBadge, headersTable, prettyBody, pollWhile, pagedTable } from './dom.js';

const FILTERS = ['status', 'webhookId', 'eventType', 'entityId', 'since', 'until'];
const STATUSES = ['pending', 'retrying', 'sent', 'failed', 'cancelled'];

// <input type="datetime-local"> speaks local time without a zone; the API wants ISO with one.
const toIso = (local) => (local ? new Date(local).toISOString() : '');
const toLocal = (iso) => {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
};

let info;
const loadInfo = async () => (info ??= await api('GET', '/v1/info'));

export async function historyView(q) {
  const filters = Object.fromEntries(FILTERS.map((k) => [k, q.get(k) ?? '']));
  const [webhooks, eventTypes] = await Promise.all([api('GET', '/v1/webhooks?limit=200'), api('GET', '/v1/event-types')]);
  const names = new Map(webhooks.data.map((w) => [w.id, w.name]));

  const form = h('form', { class: 'card filters', role: 'search', 'aria-label': 'Filter the history' },
    field('Status', select('status', [['', 'any'], ...STATUSES.map((s) => [s, s])], filters.status)),
    field('Webhook', select('webhookId', [['', 'any'], ...webhooks.data.map((w) => [w.id, w.name])], filters.webhookId)),
    field('Event type', h('input', { name: 'eventType', value: filters.eventType, list: 'history-types' })),
    h('datalist', { id: 'history-types' }, eventTypes.data.map((t) => h('option', { value: t.type }))),
    field('Entity ID', h('input', { name: 'entityId', value: filters.entityId })),
    field('Created from', h('input', { type: 'datetime-local', name: 'since', value: toLocal(filters.since) })),
    field('Created until', h('input', { type: 'datetime-local', name: 'until', value: toLocal(filters.until) })),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Apply filters'), h('a', { href: '#/notifications', class: 'button secondary' }, 'Clear')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const el = form.elements;
    location.hash = `#/notifications${query({
      status: el.status.value, webhookId: el.webhookId.value, eventType: el.eventType.value.trim(), entityId: el.entityId.value.trim(),
      since: toIso(el.since.value), until: toIso(el.until.value),
    })}`;
  });

  const list = pagedTable({
    label: 'Notifications, newest first',
    columns: ['Created', 'Status', 'Event type', 'Webhook', 'Request', 'Attempts'],
    fetchPage: (cursor) => api('GET', `/v1/notifications${query({ ...filters, cursor, limit: 50 })}`),
    row: (n) => h('tr', {},
      h('td', {}, h('a', { href: `#/notifications/${encodeURIComponent(n.id)}` }, formatDate(n.createdAt))),
      h('td', {}, statusBadge(n.status)),
      h('td', {}, n.eventType),
      h('td', {}, n.webhookName ?? names.get(n.webhookId) ?? n.webhookId),
      h('td', {}, n.request ? h('code', {}, `${n.request.method} ${n.request.url}`) : '—'),
      h('td', { class: 'num' }, n.attemptCount)),
    empty: 'No notifications match.',
  });

  render(
    h('h1', {}, 'Communication history'),
    form,
    bulkResendPanel(filters),
    list.elements,
  );
  await list.load();
}

/** Resend everything the current filters match, as a job; its progress is polled. */
function bulkResendPanel(filters) {
  const { entityId, ...bulk } = filters;
  const set = Object.fromEntries(Object.entries(bulk).filter(([, v]) => v));
  const status = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'secondary' }, 'Resend all matching');
  if (!Object.keys(set).length || entityId) {
    button.disabled = true;
    status.append(h('p', { class: 'hint' }, entityId ? 'Bulk resend filters by status, webhook, event type and time (not entity).' : 'Choose at least one filter (status, webhook, event type or time) to resend in bulk.'));
  }
  button.addEventListener('click', async () => {
    if (!confirm('Resend every notification matching these filters? Each gets one more attempt of its stored request.')) return;
    button.disabled = true;
    try {
      const job = await api('POST', '/v1/notifications/resend', set);
      if (!job.jobId) {
        status.replaceChildren(h('p', {}, 'Nothing matched: no resend started.'));
        button.disabled = false;
        return;
      }
      const progress = h('progress', { 'aria-label': 'Bulk resend progress' });
      const text = h('p', {}, `Resending ${job.resent} of ${job.matched} matching…`);
      status.replaceChildren(progress, text);
      pollWhile(async () => {
        const j = await api('GET', `/v1/notifications/resend/${encodeURIComponent(job.jobId)}`);
        if (j.status === 'running') return true;
        progress.max = 1;
        progress.value = 1;
        text.textContent = j.status === 'completed'
          ? `Done: ${j.result.resent} resent, ${j.result.skipped} skipped of ${j.result.matched} matched.`
          : `The resend job ${j.status}.`;
        button.disabled = false;
        return false;
      });
    } catch (err) {
      status.replaceChildren(errorBox(err));
      button.disabled = false;
    }
  });
  return h('section', { class: 'card', 'aria-label': 'Bulk resend' }, button, status);
}

function attemptView(a) {
  const ok = a.statusCode >= 200 && a.statusCode < 300 && !a.error;
  return h('li', { class: `attempt ${ok ? 'ok' : 'ko'}` },
    h('h3', {}, `Attempt ${a.number} · ${a.trigger} · `, a.statusCode !== undefined ? `HTTP ${a.statusCode}` : (a.error?.kind ?? ''), ok ? ' · success' : ''),
    h('p', { class: 'muted' }, `${formatDate(a.startedAt)} · ${a.durationMs} ms · idempotency key `, h('code', {}, a.idempotencyKey)),
    a.error ? h('p', { class: 'bad' }, `${a.error.kind}: ${a.error.message}`) : null,
    a.responseHeaders ? h('details', {}, h('summary', {}, 'Response headers'), headersTable(a.responseHeaders, 'Response headers')) : null,
    a.responseBody !== undefined ? h('details', { open: !ok }, h('summary', {}, 'Response body'), h('pre', { class: 'body', tabindex: 0 }, prettyBody(a.responseBody) || '(empty)')) : null);
}

export async function notificationView(id) {
  const [n, meta] = await Promise.all([api('GET', `/v1/notifications/${encodeURIComponent(id)}`), loadInfo()]);
  const ui = meta.temporalUiUrl
    ? `${meta.temporalUiUrl}/namespaces/${encodeURIComponent(meta.temporalNamespace)}/workflows/${encodeURIComponent(n.workflowId)}`
    : null;
  const reason = h('input', { name: 'reason', maxlength: 500, placeholder: 'receiver fixed' });
  const out = h('div', { 'aria-live': 'polite' });
  const resend = h('form', { class: 'inline', onsubmit: async (e) => {
    e.preventDefault();
    try {
      await api('POST', `/v1/notifications/${encodeURIComponent(n.id)}/resend`, reason.value ? { reason: reason.value } : {});
      flash('Resend accepted: one more attempt of the stored request.', 'good');
      const before = n.attempts.length;
      pollWhile(async () => {
        const now = await api('GET', `/v1/notifications/${encodeURIComponent(n.id)}`);
        if (now.attempts.length > before) {
          await notificationView(n.id);
          return false;
        }
        return true;
      });
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  } }, field('Reason (optional)', reason), h('button', { type: 'submit', disabled: !n.request }, 'Resend'));

  render(
    h('p', {}, h('a', { href: '#/notifications' }, '← History')),
    h('h1', {}, 'Notification ', h('code', {}, n.id)),
    h('section', { class: 'card' },
      h('dl', { class: 'summary' },
        h('dt', {}, 'Status'), h('dd', { id: 'notification-status' }, statusBadge(n.status)),
        h('dt', {}, 'Event'), h('dd', {}, `${n.eventType} · `, h('code', {}, n.eventId)),
        h('dt', {}, 'Webhook'), h('dd', {}, h('a', { href: `#/webhooks/${encodeURIComponent(n.webhookId)}` }, n.webhookName)),
        h('dt', {}, 'Created'), h('dd', {}, formatDate(n.createdAt)),
        n.sentAt ? [h('dt', {}, 'Sent'), h('dd', {}, formatDate(n.sentAt))] : null,
        n.failedAt ? [h('dt', {}, 'Failed'), h('dd', {}, formatDate(n.failedAt))] : null,
        n.nextAttemptAt ? [h('dt', {}, 'Next attempt'), h('dd', {}, formatDate(n.nextAttemptAt))] : null,
        h('dt', {}, 'Workflow'), h('dd', {}, h('code', {}, n.workflowId), ' ',
          ui ? h('a', { href: ui, target: '_blank', rel: 'noopener', id: 'temporal-link' }, 'Open in the Temporal Web UI') : h('span', { class: 'muted' }, '(set HERALD_TEMPORAL_UI_URL to link the Temporal Web UI)'))),
      n.warnings?.length ? h('ul', { class: 'warnings' }, n.warnings.map((w) => h('li', {}, w))) : null,
      resend,
      out),
    h('section', { class: 'card', 'aria-labelledby': 'req-h' },
      h('h2', { id: 'req-h' }, 'Request (sent exactly so on every attempt)'),
      n.request
        ? [h('p', {}, h('code', { class: 'request-line' }, `${n.request.method} ${n.request.url}`)), headersTable(n.request.headers, 'Headers (credentials redacted; per-attempt signature and idempotency headers are added at send)'),
          h('pre', { class: 'body', tabindex: 0, 'aria-label': 'Request body' }, prettyBody(n.request.body))]
        : h('p', { class: 'muted' }, 'Not rendered yet (or the template failed: see the warnings).')),
    h('section', { class: 'card', 'aria-labelledby': 'att-h' },
      h('h2', { id: 'att-h' }, `Attempts (${n.attempts.length})`),
      n.attempts.length ? h('ol', { class: 'attempts' }, n.attempts.map(attemptView)) : h('p', { class: 'muted' }, 'No attempt yet.')),
  );
  // Keep a notification in flight current without a reload.
  if (n.status === 'pending' || n.status === 'retrying') {
    pollWhile(async () => {
      const now = await api('GET', `/v1/notifications/${encodeURIComponent(n.id)}`);
      if (now.status !== n.status || now.attempts.length !== n.attempts.length) {
        await notificationView(n.id);
        return false;
      }
      return true;
    }, 2000);
  }
}
