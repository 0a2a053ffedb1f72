// Overview: the Webhook Communications switch, readiness, and per-webhook health at a glance.
import { api, query } from './api.js';
import { h, field, render, flash, errorBox, percent, select } from './dom.js';
import { deliveriesPanel } from './charts.js';

const WINDOWS = [['1h', 'last hour', 3600e3], ['24h', 'last 24 hours', 86400e3], ['7d', 'last 7 days', 7 * 86400e3]];

export async function overviewView(_params, q) {
  const windowKey = WINDOWS.some(([k]) => k === q.get('window')) ? q.get('window') : '24h';
  const since = new Date(Date.now() - WINDOWS.find(([k]) => k === windowKey)[2]).toISOString();
  const [settings, stats, webhooks, ready] = await Promise.all([
    api('GET', '/v1/settings'),
    api('GET', `/v1/stats/webhooks${query({ since })}`),
    api('GET', '/v1/webhooks?limit=200'),
    api('GET', '/readyz').catch((err) => ({ status: 'not_ready', error: err })),
  ]);
  const health = new Map(webhooks.data.map((w) => [w.id, w.health]));

  const switchBox = h('input', { type: 'checkbox', role: 'switch', checked: settings.webhookCommunications === 'enabled', name: 'webhookCommunications' });
  const switchState = h('strong', { id: 'communications-state' }, settings.webhookCommunications === 'enabled' ? 'enabled' : 'none (paused)');
  switchBox.addEventListener('change', async () => {
    const value = switchBox.checked ? 'enabled' : 'none';
    try {
      const saved = await api('PUT', '/v1/settings', { webhookCommunications: value });
      switchState.textContent = saved.webhookCommunications === 'enabled' ? 'enabled' : 'none (paused)';
      flash(`Webhook communications: ${saved.webhookCommunications}.`);
    } catch (err) {
      switchBox.checked = !switchBox.checked;
      flash(err.message, 'bad');
    }
  });

  const windowSelect = select('window', WINDOWS.map(([k, label]) => [k, label]), windowKey);
  windowSelect.addEventListener('change', () => (location.hash = `#/?window=${windowSelect.value}`));

  const rows = stats.data.map((s) => {
    const state = health.get(s.webhookId)?.state;
    return h('tr', {},
      h('th', { scope: 'row' }, s.deleted ? `${s.webhookName ?? s.webhookId} (deleted)` : h('a', { href: `#/webhooks/${encodeURIComponent(s.webhookId)}` }, s.webhookName ?? s.webhookId)),
      h('td', { class: 'num' }, s.notifications.total),
      h('td', { class: 'num' }, h('a', { href: `#/notifications${query({ webhookId: s.webhookId, status: 'sent' })}` }, s.notifications.sent)),
      h('td', { class: 'num' }, h('a', { href: `#/notifications${query({ webhookId: s.webhookId, status: 'failed' })}` }, s.notifications.failed)),
      h('td', { class: 'num' }, s.notifications.retrying + s.notifications.pending),
      h('td', { class: `num ${s.successRate !== null && s.successRate < 0.9 ? 'bad' : ''}` }, percent(s.successRate)),
      h('td', { class: 'num' }, s.avgLatencyMs === null ? '—' : `${s.avgLatencyMs} ms`),
      h('td', { class: 'num' }, s.maxLatencyMs === null ? '—' : `${s.maxLatencyMs} ms`),
      h('td', {}, state ? h('span', { class: `badge ${state === 'closed' ? 'sent' : 'failed'}` }, state) : '—'));
  });

  render(
    h('h1', {}, 'Overview'),
    h('section', { class: 'card', 'aria-labelledby': 'comm-h' },
      h('h2', { id: 'comm-h' }, 'Webhook communications'),
      field('Send webhook notifications', switchBox, 'Off ("none"): events are still accepted and stored, but no notification is created (maintenance windows).'),
      h('p', {}, 'Currently: ', switchState)),
    h('section', { class: 'card', 'aria-labelledby': 'ready-h' },
      h('h2', { id: 'ready-h' }, 'Services'),
      ready.checks
        ? h('p', {}, `MongoDB: ${ready.checks.mongodb ? 'reachable' : 'DOWN'} · Temporal: ${ready.checks.temporal ? 'reachable' : 'DOWN'}`)
        : errorBox(ready.error ?? { message: 'not ready' })),
    h('section', { class: 'card', 'aria-labelledby': 'stats-h' },
      h('h2', { id: 'stats-h' }, 'Webhooks at a glance'),
      field('Window', windowSelect),
      rows.length
        ? h('table', { class: 'list' },
          h('caption', {}, `Notifications created in the ${WINDOWS.find(([k]) => k === windowKey)[1]}; success rate = sent / (sent + failed).`),
          h('thead', {}, h('tr', {}, ['Webhook', 'Total', 'Sent', 'Failed', 'In flight', 'Success rate', 'Avg latency', 'Max latency', 'Circuit'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, rows))
        : h('p', { class: 'muted' }, 'No notifications in this window.')),
    deliveriesPanel({ title: 'Deliveries (all webhooks)' }),
  );
}
