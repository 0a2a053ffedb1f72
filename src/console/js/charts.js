// Delivery charts (GET /v1/stats/deliveries, read from rollups): deliveries by outcome and latency
// p50/p95 over the last hour (per minute) or day (per hour), for the account or one webhook.
// Drawn with uPlot, served by Herald (/console/vendor/). Each chart's figure keeps its uPlot
// instance as `figure.uplot` (its `data` is what is drawn), and a one-line summary says it in words.
import uPlot from '../vendor/uPlot.esm.js';
import { api, query } from './api.js';
import { h, field, select, errorBox } from './dom.js';

const OUTCOME_COLORS = {
  success: '#2e7d32',
  http_status: '#c62828',
  timeout: '#ef6c00',
  connection: '#6a1b9a',
  tls: '#795548',
  blocked: '#546e7a',
  configuration: '#1565c0',
};

let uid = 0;

/** A card with the two charts and a window picker; loads on its own, so the page does not wait for it. */
export function deliveriesPanel({ webhookId = null, title = 'Deliveries' } = {}) {
  const id = `deliveries-h${++uid}`;
  const windowSelect = select('deliveriesWindow', [['hour', 'last hour, per minute'], ['day', 'last 24 hours, per hour']], 'hour');
  const body = h('div', { class: 'charts', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));
  const load = () =>
    api('GET', `/v1/stats/deliveries${query({ window: windowSelect.value, webhookId })}`).then(
      (stats) => drawDeliveries(body, stats),
      (err) => body.replaceChildren(errorBox(err)),
    );
  windowSelect.addEventListener('change', load);
  load();
  return h('section', { class: 'card deliveries', 'aria-labelledby': id, 'data-webhook-id': webhookId ?? '' },
    h('h2', { id }, title),
    field('Chart window', windowSelect),
    body);
}

/** Replaces `into`'s content with the charts of one /v1/stats/deliveries answer. */
export function drawDeliveries(into, stats) {
  const xs = stats.series.map((p) => Date.parse(p.at) / 1000);
  const step = stats.window === 'hour' ? 'minute' : 'hour';
  const t = stats.total;
  const failures = stats.outcomes.filter((o) => o !== 'success' && t.outcomes[o] > 0).map((o) => `${t.outcomes[o]} ${o.replace('_', ' ')}`);
  const summary = t.attempts
    ? `${t.attempts} deliveries: ${t.outcomes.success} succeeded${failures.length ? `, ${failures.join(', ')}` : ''}. Latency p50 ${ms(t.p50Ms)}, p95 ${ms(t.p95Ms)}.`
    : 'No deliveries in this window.';
  const width = Math.max(320, Math.min(900, (into.clientWidth || 700) - 8));

  const counts = figure('deliveries', `Deliveries per ${step} by outcome`);
  into.replaceChildren(h('p', { class: 'chart-summary' }, summary), counts.el);
  counts.el.uplot = new uPlot({
    width,
    height: 220,
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    series: [{}, ...stats.outcomes.map((o) => ({
      label: o.replace('_', ' '),
      stroke: OUTCOME_COLORS[o] ?? '#333',
      fill: o === 'success' ? 'rgba(46, 125, 50, 0.12)' : undefined,
      width: 1.5,
      // Failure kinds that did not happen stay in the legend, switched off.
      show: o === 'success' || t.outcomes[o] > 0,
    }))],
    axes: [{}, { label: 'deliveries' }],
  }, [xs, ...stats.outcomes.map((o) => stats.series.map((p) => p.outcomes[o]))], counts.plot);

  const latency = figure('latency', `Latency per ${step}: p50 and p95 (ms)`);
  into.append(latency.el);
  latency.el.uplot = new uPlot({
    width,
    height: 200,
    scales: { x: { time: true } },
    series: [{}, { label: 'p50', stroke: '#1565c0', width: 1.5, spanGaps: false }, { label: 'p95', stroke: '#ef6c00', width: 1.5, dash: [6, 4], spanGaps: false }],
    axes: [{}, { label: 'ms' }],
  }, [xs, stats.series.map((p) => p.p50Ms), stats.series.map((p) => p.p95Ms)], latency.plot);
}

function figure(name, caption) {
  const plot = h('div', { class: 'plot' });
  const el = h('figure', { class: 'chart', 'data-chart': name }, h('figcaption', {}, caption), plot);
  return { el, plot };
}

function ms(v) {
  return v === null || v === undefined ? '—' : `${v} ms`;
}
