/**
 * The workflows of `npm run bench:floor`: what one Temporal workflow per notification costs with
 * none of Herald's own work in it (no MongoDB, no HTTP, no templates).
 *
 * - `floorEmpty`: started, one workflow task, completed. The least any workflow costs.
 * - `floorHeraldShape`: what a delivered notification asks of Temporal, with the work taken out:
 *   one local activity (the first attempt) in the first workflow task, the status search attribute
 *   upserted, then open on a timer for the resend window, as `workflows/notification.ts` does.
 */
import { condition, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { HeraldStatus } from '../../workflows/shared';

export interface FloorActivities {
  noop(): Promise<void>;
}

const { noop } = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '90 seconds' });

export async function floorEmpty(): Promise<void> {}

export async function floorHeraldShape(): Promise<void> {
  await noop();
  upsertSearchAttributes([{ key: HeraldStatus, value: 'sent' }]);
  await condition(() => false, '7 days');
}
