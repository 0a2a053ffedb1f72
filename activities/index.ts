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
import { createPrepareActivity } from './prepare';
import { createDeliverActivity } from './deliver';
import { createFirstAttemptActivity, createRecordStopActivity } from './first-attempt';
import { createBulkResendActivity } from './bulk-resend';
import { createReplayActivity } from './replay';
import { createPurgeActivities } from './purge';

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
}

export function createActivities(deps: ActivityDeps) {
  return {
    prepare: createPrepareActivity(deps),
    firstAttempt: createFirstAttemptActivity(deps),
    deliver: createDeliverActivity(deps),
    recordStop: createRecordStopActivity(deps),
    resendMatching: createBulkResendActivity(deps),
    replayEvents: createReplayActivity(deps),
    ...createPurgeActivities(deps),
  };
}
