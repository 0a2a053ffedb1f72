/**
 * Endpoint health changes as operational events (`herald.webhook.circuit_opened`,
 * `herald.webhook.circuit_closed`, `herald.webhook.disabled`): their `data`, and the key that makes
 * each change one event however often the activity that decided it runs.
 */
import type { OperationalEventData, OperationalEventType } from '../operational-events';
import type { HealthChange } from './endpoint-health';

export function healthEvent(change: HealthChange): { type: OperationalEventType; data: OperationalEventData; key: string } {
  const base = { webhookId: change.webhookId, webhookName: change.webhookName };
  const key = `${change.type}:${change.webhookId}:${change.at.toISOString()}`;
  switch (change.type) {
    case 'circuit_opened':
      return {
        type: 'herald.webhook.circuit_opened',
        key,
        data: { ...base, openedAt: change.at.toISOString(), consecutiveFailures: change.consecutiveFailures, failureThreshold: change.failureThreshold, nextProbeAt: change.nextProbeAt.toISOString() },
      };
    case 'circuit_closed':
      return { type: 'herald.webhook.circuit_closed', key, data: { ...base, closedAt: change.at.toISOString(), openedAt: change.openedAt?.toISOString() ?? null } };
    case 'disabled':
      return { type: 'herald.webhook.disabled', key, data: { ...base, disabledAt: change.at.toISOString(), failingSince: change.failingSince.toISOString(), reason: change.reason } };
  }
}
