/**
 * The activities, built by a factory over their dependencies (the samples-typescript way), so
 * the worker passes real ones and nothing reaches for globals.
 */
import type { Dispatcher } from 'undici';
import type { Logger } from '../src/logger';
import type { Models } from '../src/models';
import type { SecretBox } from '../src/crypto/secrets';
import type { Metrics } from '../src/metrics';
import type { ConfigCache } from '../src/config-cache';
import type { EndpointHealth } from '../src/flow-control/endpoint-health';
import type { NotificationHandoff } from '../src/delivery/handoff';
import { createPrepareActivity } from './prepare';
import { createDeliverActivity } from './deliver';
import { createFirstAttemptActivity, createRecordStopActivity } from './first-attempt';
import { createBulkResendActivity } from './bulk-resend';
import { createReplayActivity } from './replay';
import { createPurgeActivities } from './purge';
import { acrossAccounts, DEFAULT_ACCOUNT, inAccount } from '../src/accounts/scope';
import type { AccountInput } from '../workflows/shared';

export interface ActivityDeps {
  models: Models;
  /** Webhook configuration and the communications switch, revalidated on every use. */
  configCache: ConfigCache;
  /** The shared undici Agent of this worker (keep-alive pools per origin, guarded connect). */
  dispatcher: Dispatcher;
  secretBox: SecretBox;
  logger: Logger;
  metrics?: Metrics;
  userAgent: string;
  /** How long a notification's execution stays open after delivery to serve resends by signal. */
  resendWindowSeconds: number;
  /** HERALD_RETENTION: the purge deletes what has been idle longer (seconds). */
  retentionSeconds: number;
  /** Each webhook's circuit breaker and auto-disable, shared through MongoDB (src/flow-control). */
  health: EndpointHealth;
  /** Notifications this process's fan-out just stored, for first attempts (npm start: API and worker in one process). */
  handoff?: NotificationHandoff;
}

export function createActivities(deps: ActivityDeps) {
  return {
    prepare: inInputAccount(createPrepareActivity(deps)),
    firstAttempt: inInputAccount(createFirstAttemptActivity(deps)),
    deliver: inInputAccount(createDeliverActivity(deps)),
    recordStop: inInputAccount(createRecordStopActivity(deps)),
    resendMatching: inInputAccount(createBulkResendActivity(deps)),
    replayEvents: inInputAccount(createReplayActivity(deps)),
    // The retention purge spans accounts (each account's own retention applies: src/retention.ts).
    ...acrossAccountsEach(createPurgeActivities(deps)),
  };
}

/**
 * Runs an activity in the account its input names (src/accounts/scope.ts), `default` when it
 * names none: executions started before accounts, whose inputs were recorded without one.
 */
function inInputAccount<I, R>(activity: (input: I) => Promise<R>): (input: I) => Promise<R> {
  return (input) => {
    const named = typeof input === 'object' && input !== null ? (input as AccountInput).accountId : undefined;
    return inAccount(named ?? DEFAULT_ACCOUNT, () => activity(input));
  };
}

function acrossAccountsEach<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [name, (...args: never[]) => acrossAccounts(() => fn(...args))]),
  ) as T;
}
