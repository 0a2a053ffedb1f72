/**
 * Whether an account can act: `default` always; any other while it exists and is not deleted. The
 * one rule behind admin keys naming an account, account keys, inbound direct URLs and `--account`.
 */
import type { Models } from '../models';
import { DEFAULT_ACCOUNT } from './scope';

export async function accountIsLive(models: Pick<Models, 'Account'>, accountId: string): Promise<boolean> {
  if (accountId === DEFAULT_ACCOUNT) return true;
  return (await models.Account.exists({ _id: accountId, deletedAt: null })) !== null;
}
