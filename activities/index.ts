/**
 * The activities, built by a factory over their dependencies (the samples-typescript way), so
 * the worker passes real ones and nothing reaches for globals.
 */
import type { Dispatcher } from 'undici';
import type { Logger } from '../src/logger';
import type { Models } from '../src/models';
import type { SecretBox } from '../src/crypto/secrets';
import type { Metrics } from '../src/metrics';
import { createPrepareActivity } from './prepare';
import { createDeliverActivity } from './deliver';
import { createBulkResendActivity } from './bulk-resend';
import { createReplayActivity } from './replay';

export interface ActivityDeps {
  models: Models;
  /** One shared undici Agent per worker: keep-alive pools per origin, guarded connect. */
  dispatcher: Dispatcher;
  secretBox: SecretBox;
  logger: Logger;
  metrics?: Metrics;
  userAgent: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    prepare: createPrepareActivity(deps),
    deliver: createDeliverActivity(deps),
    resendMatching: createBulkResendActivity(deps),
    replayEvents: createReplayActivity(deps),
  };
}
