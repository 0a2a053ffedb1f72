/**
 * Client-chosen event ids are unique per account, not across accounts. An event's `_id` is global
 * (MongoDB's primary key), so an id a client chooses is stored under its account's name
 * (`acc_x~loan-7-disbursed`) in every account but `default` (whose ids stay as they always were);
 * ids Herald generates (`evt_...`, random) are stored as they are. Outside Herald an event is
 * always known by its public id: the API, payload templates, streams and operational events show
 * `publicEventId`; the API finds an event by either form (`eventIdCandidates`), within the account.
 *
 * Before this, account B posting an id account A had used got a 500 (the `_id` index refused it)
 * where a fresh id got a 202: B learned that the id existed elsewhere.
 */
import { DEFAULT_ACCOUNT } from './scope';

/** Never in a client's id (`[\w.:-]+`) nor an account's. */
const SEPARATOR = '~';

/** The `_id` of an event a client named `id` in `accountId`. */
export function storedEventId(accountId: string, id: string): string {
  return accountId === DEFAULT_ACCOUNT ? id : `${accountId}${SEPARATOR}${id}`;
}

/** The id the world knows an event by. */
export function publicEventId(stored: string): string {
  const at = stored.indexOf(SEPARATOR);
  return at < 0 ? stored : stored.slice(at + 1);
}

/**
 * The `_id`s an id given to the API may be stored under in `accountId`: a client's id (named), or
 * a generated one (as is; also a client's id stored before ids were per account). None for an id
 * that is already a stored form: the API never takes those.
 */
export function eventIdCandidates(accountId: string, id: string): string[] {
  if (id.includes(SEPARATOR)) return [];
  const named = storedEventId(accountId, id);
  return named === id ? [id] : [named, id];
}
