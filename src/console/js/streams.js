// Streams: the account's Streaming API subscriptions (GET /v1/subscriptions, paged) with their open
// streams and lag, and one subscription's lag per partition (GET /v1/subscriptions/{id}), refreshed
// while the page is shown and the tab visible (each refresh reads the log's ends: not every second).
// Read-only: consumers create subscriptions and commit through the API.
import { api, query } from './api.js';
import { h, render, errorBox, formatDate, pollWhile, pagedTable } from './dom.js';

const REFRESH_MS = 5000;
const types = (eventTypes) => h('span', { class: 'chips' }, eventTypes.map((t) => h('code', { class: 'chip' }, t)));

export async function streamsView() {
  const list = pagedTable({
    label: 'Stream subscriptions, newest first',
    columns: ['Owning application', 'Event types', 'Consumer group', 'Streams open', 'Lag', 'Created'],
    fetchPage: (cursor) => api('GET', `/v1/subscriptions${query({ cursor, limit: 50 })}`),
    row: (s) => h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: `#/streams/${encodeURIComponent(s.id)}` }, s.owningApplication)),
      h('td', {}, types(s.eventTypes)),
      h('td', {}, s.consumerGroup),
      h('td', { class: 'num' }, s.openStreams),
      h('td', { class: `num ${s.lag > 0 ? 'warn' : ''}` }, s.lag),
      h('td', {}, formatDate(s.createdAt))),
    empty: 'No stream subscriptions yet: a consumer creates one with POST /v1/subscriptions.',
  });

  render(
    h('h1', {}, 'Streams'),
    h('p', {}, 'Subscriptions of the Streaming API: consumers pull the account\'s events in batches and commit cursors. ',
      'Lag is the number of events in the log past the committed cursors (events of every type: committing keep-alives passes those a subscription does not want).'),
    list.elements,
  );
  await list.load();
}

function partitionRows(partitions) {
  return partitions.map((p) => h('tr', {},
    h('th', { scope: 'row' }, String(p.partition)),
    h('td', { class: 'num' }, p.committedOffset),
    h('td', { class: 'num' }, p.lastOffset),
    h('td', { class: `num ${p.lag > 0 ? 'warn' : ''}` }, p.lag),
    h('td', {}, p.streamId ? h('code', {}, p.streamId) : h('span', { class: 'muted' }, 'no stream'))));
}

export async function streamView(id) {
  const s = await api('GET', `/v1/subscriptions/${encodeURIComponent(id)}`);
  const openStreams = h('dd', { id: 'stream-open' }, String(s.openStreams));
  const lag = h('dd', { id: 'stream-lag' }, String(s.lag));
  const tbody = h('tbody', {}, partitionRows(s.partitions));
  const updated = h('p', { class: 'muted' }, `Refreshed every ${REFRESH_MS / 1000} s.`);
  render(
    h('p', {}, h('a', { href: '#/streams' }, '← Streams')),
    h('h1', {}, s.owningApplication),
    h('dl', { class: 'summary' },
      h('dt', {}, 'ID'), h('dd', {}, h('code', {}, s.id)),
      h('dt', {}, 'Event types'), h('dd', {}, types(s.eventTypes)),
      h('dt', {}, 'Consumer group'), h('dd', {}, s.consumerGroup),
      h('dt', {}, 'Read from'), h('dd', {}, s.readFrom),
      h('dt', {}, 'Created'), h('dd', {}, formatDate(s.createdAt)),
      h('dt', {}, 'Streams open'), openStreams,
      h('dt', {}, 'Total lag'), lag),
    h('table', { class: 'list', 'aria-label': 'Lag per partition' },
      h('caption', {}, 'Per partition: the last committed offset, the log\'s last offset, the lag between them, and the stream reading it now.'),
      h('thead', {}, h('tr', {}, ['Partition', 'Committed offset', 'Log end', 'Lag', 'Read by'].map((t) => h('th', { scope: 'col' }, t)))),
      tbody),
    updated,
  );
  pollWhile(async () => {
    if (document.hidden) return true; // nobody looks: ask again later
    try {
      const now = await api('GET', `/v1/subscriptions/${encodeURIComponent(id)}`);
      openStreams.textContent = String(now.openStreams);
      lag.textContent = String(now.lag);
      tbody.replaceChildren(...partitionRows(now.partitions));
      updated.replaceChildren(`Refreshed every ${REFRESH_MS / 1000} s; last at ${formatDate(new Date())}.`);
      return true;
    } catch (err) {
      // Deleted meanwhile, or the key was revoked: say so and stop refreshing.
      updated.replaceChildren(errorBox(err));
      return false;
    }
  }, REFRESH_MS);
}
