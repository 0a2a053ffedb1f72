// The API client: the key lives in sessionStorage only (gone when the tab closes), never in a cookie.
// An admin key may pick an account: sent as Herald-Account with every call (an account key never sets it).
const KEY = 'herald.apiKey';
const ACCOUNT = 'herald.account';

export const apiKey = () => sessionStorage.getItem(KEY);
export const setApiKey = (key) => sessionStorage.setItem(KEY, key);
export const clearApiKey = () => {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(ACCOUNT);
};
export const pickedAccount = () => sessionStorage.getItem(ACCOUNT);
export const pickAccount = (id) => (id && id !== 'default' ? sessionStorage.setItem(ACCOUNT, id) : sessionStorage.removeItem(ACCOUNT));

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.details = body?.error?.details ?? [];
  }
}

// Relative to /console/, so a Herald behind a path prefix still works.
const base = new URL('../', document.baseURI);

// Every route starts a new screen. An answer to a call made for an earlier screen is dropped (its
// promise never settles), so a slow answer for the screen just left, or for the account just switched
// from, can never render over the screen now shown: the view that asked simply stops there.
let screen = 0;
export const newScreen = () => {
  screen++;
};

/** `opts.signingIn`: a 401 is the answer to show, not a reason to go back to the sign-in screen. */
export async function api(method, path, body, opts = {}) {
  const askedOn = screen;
  const res = await fetch(new URL(path.replace(/^\//, ''), base), {
    method,
    headers: {
      authorization: `Bearer ${apiKey() ?? ''}`,
      ...(pickedAccount() && !path.startsWith('/v1/accounts') ? { 'herald-account': pickedAccount() } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (res.status === 404 && data?.error?.message === 'Account not found' && pickedAccount()) {
    // The picked account was deleted meanwhile: back to the admin's own.
    pickAccount(null);
  }
  if (res.status === 401 && path.startsWith('/v1/') && !opts.signingIn) {
    clearApiKey();
    location.hash = '#/sign-in';
  }
  if (askedOn !== screen) return new Promise(() => {});
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** `{a: 1, b: undefined}` → `?a=1`: only the filters that are set. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
