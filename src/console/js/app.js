// The console's entry: sign-in, the hash router, and the shared page frame.
import { api, apiKey, setApiKey, clearApiKey, pickedAccount, pickAccount, newScreen } from './api.js';
import { h, field, render, clearFlash, errorBox } from './dom.js';
import { overviewView } from './overview.js';
import { webhooksView, webhookFormView } from './webhooks.js';
import { historyView, notificationView } from './history.js';
import { sourcesView } from './sources.js';
import { variablesView } from './variables.js';
import { eventTypesView, eventTypeView } from './event-types.js';
import { streamsView, streamView } from './streams.js';

// [pattern, view, title]; views get (params, query) and render into <main>.
const routes = [
  [/^\/$/, overviewView, 'Overview'],
  [/^\/webhooks$/, webhooksView, 'Webhooks'],
  [/^\/webhooks\/new$/, () => webhookFormView(null), 'New webhook'],
  [/^\/webhooks\/([^/]+)$/, ([id]) => webhookFormView(id), 'Webhook'],
  [/^\/notifications$/, (_p, q) => historyView(q), 'History'],
  [/^\/notifications\/([^/]+)$/, ([id]) => notificationView(id), 'Notification'],
  [/^\/sources$/, sourcesView, 'Sources'],
  [/^\/variables$/, variablesView, 'Variables'],
  [/^\/event-types$/, eventTypesView, 'Event types'],
  [/^\/event-types\/([^/]+)$/, ([type]) => eventTypeView(type), 'Event type'],
  [/^\/streams$/, streamsView, 'Streams'],
  [/^\/streams\/([^/]+)$/, ([id]) => streamView(id), 'Stream subscription'],
];

function signInView() {
  const key = h('input', { type: 'password', name: 'apiKey', required: true, autocomplete: 'off', spellcheck: 'false' });
  const out = h('div');
  const form = h('form', { class: 'card narrow', onsubmit: async (e) => {
    e.preventDefault();
    setApiKey(key.value.trim());
    try {
      await api('GET', '/v1/info', undefined, { signingIn: true });
      // Back where the user was going (a deep link), or to the overview.
      if (location.hash && location.hash !== '#/sign-in') route();
      else location.hash = '#/';
    } catch (err) {
      clearApiKey();
      out.replaceChildren(errorBox(err.status === 401 ? { message: 'That API key was not accepted.' } : err));
      key.focus();
    }
  } },
  h('h1', {}, 'Sign in'),
  h('p', {}, 'Use a Herald API key: your account\'s key, or an admin key (HERALD_API_KEYS, or the one ', h('code', {}, 'npm start'), ' printed). It is kept for this browser tab only.'),
  field('API key', key),
  h('button', { type: 'submit' }, 'Sign in'),
  out);
  render(form);
  key.focus();
}

/**
 * Which account the console shows: an account key's own (a label), or for an admin key a picker of
 * every account (the choice is sent as Herald-Account). Asked once per sign-in and account change.
 */
let shownFor = null;
async function showAccount() {
  const slot = document.getElementById('account');
  if (shownFor === `${apiKey()}|${pickedAccount()}`) return;
  const info = await api('GET', '/v1/info');
  shownFor = `${apiKey()}|${pickedAccount()}`;
  if (!info.admin) {
    slot.replaceChildren(h('span', { class: 'account', title: info.account.id }, info.account.name));
    return;
  }
  const accounts = [];
  for (let cursor = null, page = 0; page < 10; page++) {
    const res = await api('GET', `/v1/accounts?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    accounts.push(...res.data);
    if (!(cursor = res.nextCursor)) break;
  }
  const select = h('select', { 'aria-label': 'Account', onchange: () => {
    pickAccount(select.value);
    clearFlash();
    // Back to the overview, in the new account: the hash change routes; on the overview already, route here.
    if (location.hash === '#/' || location.hash === '') route();
    else location.hash = '#/';
  } }, ...accounts.map((a) => h('option', { value: a.id }, a.name)));
  select.value = info.account.id;
  slot.replaceChildren(select);
}

/** The path of the screen on show: another path clears it at once, before the new one has its data. */
let shownPath = null;

async function route() {
  newScreen();
  const [path, search] = (location.hash.slice(1) || '/').split('?');
  // Nothing of the screen left behind stays on show (or can be clicked) while the next one loads.
  if (path !== shownPath) render(h('p', { class: 'muted', 'aria-busy': 'true' }, 'Loading…'));
  shownPath = path;
  const signedIn = Boolean(apiKey());
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('sign-out').hidden = !signedIn;
  document.getElementById('account').hidden = !signedIn;
  if (!signedIn || path === '/sign-in') {
    shownFor = null;
    document.title = 'Sign in · Herald';
    return signInView();
  }
  try {
    await showAccount();
  } catch (err) {
    return render(h('h1', {}, 'Herald'), errorBox(err));
  }
  for (const a of document.querySelectorAll('#nav a')) {
    const target = a.getAttribute('href').slice(1);
    const current = target === '/' ? path === '/' : path.startsWith(target);
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const match = routes.map(([re, view, title]) => [path.match(re), view, title]).find(([m]) => m);
  if (!match) return render(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the overview')));
  const [m, view, title] = match;
  document.title = `${title} · Herald`;
  try {
    await view(m.slice(1).map(decodeURIComponent), new URLSearchParams(search ?? ''));
  } catch (err) {
    render(h('h1', {}, title), errorBox(err));
  }
  // Move focus to the new content so keyboard and screen-reader users land on it.
  document.getElementById('main').focus({ preventScroll: true });
}

document.getElementById('sign-out').addEventListener('click', () => {
  clearApiKey();
  clearFlash();
  location.hash = '#/sign-in';
});

let lastPath = null;
window.addEventListener('hashchange', () => {
  const path = location.hash.split('?')[0];
  if (path !== lastPath) clearFlash({ unlessFresh: true });
  lastPath = path;
  route();
});
route();

