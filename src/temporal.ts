/** The Temporal client side: connecting, search attributes, starting and signalling workflows. */
import { Client, Connection, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import {
  HeraldEventType,
  HeraldStatus,
  HeraldWebhookId,
  NOTIFICATION_WORKFLOW,
  notificationWorkflowId,
  resendSignal,
  SEARCH_ATTRIBUTE_NAMES,
  type NotificationWorkflowInput,
  type ResendArgs,
} from '../workflows/shared';

export interface TemporalHandle {
  connection: Connection;
  client: Client;
  namespace: string;
  taskQueue: string;
  close(): Promise<void>;
}

export async function connectTemporal(opts: { address: string; namespace: string; taskQueue: string }): Promise<TemporalHandle> {
  const connection = await Connection.connect({ address: opts.address, connectTimeout: '10 seconds' });
  const client = new Client({ connection, namespace: opts.namespace });
  return { connection, client, namespace: opts.namespace, taskQueue: opts.taskQueue, close: () => connection.close() };
}

/** Registers Herald's Keyword search attributes when missing (a real cluster; the dev server gets them by flag). */
export async function ensureSearchAttributes(t: TemporalHandle): Promise<void> {
  const existing = await t.connection.operatorService.listSearchAttributes({ namespace: t.namespace });
  const missing = SEARCH_ATTRIBUTE_NAMES.filter((n) => !(n in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  await t.connection.operatorService.addSearchAttributes({
    namespace: t.namespace,
    searchAttributes: Object.fromEntries(missing.map((n) => [n, 2 /* INDEXED_VALUE_TYPE_KEYWORD */])),
  });
}

export async function temporalReachable(t: TemporalHandle): Promise<boolean> {
  try {
    await t.connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  }
}

export interface NotificationRef {
  id: string;
  webhookId: string;
  eventType: string;
  method?: string;
  url?: string;
}

/**
 * Starts one notification's workflow. Starting twice is harmless: a running workflow is reused,
 * and a closed one is never run again by a start (only a resend, through signal-with-start).
 */
export async function startNotificationWorkflow(t: TemporalHandle, n: NotificationRef): Promise<void> {
  try {
    await t.client.workflow.start(NOTIFICATION_WORKFLOW, {
      taskQueue: t.taskQueue,
      workflowId: notificationWorkflowId(n.id),
      args: [{ notificationId: n.id } satisfies NotificationWorkflowInput],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      typedSearchAttributes: [
        { key: HeraldStatus, value: 'pending' },
        { key: HeraldWebhookId, value: n.webhookId },
        { key: HeraldEventType, value: n.eventType },
      ],
      staticSummary: `${n.eventType} → webhook ${n.webhookId}`,
    });
  } catch (err) {
    if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') return;
    throw err;
  }
}

/** A manual resend: signal-with-start, so it works on a running workflow and on a closed one. */
export async function signalResend(t: TemporalHandle, n: NotificationRef, args: ResendArgs = {}): Promise<void> {
  await t.client.workflow.signalWithStart(NOTIFICATION_WORKFLOW, {
    taskQueue: t.taskQueue,
    workflowId: notificationWorkflowId(n.id),
    args: [{ notificationId: n.id, resendOnly: true } satisfies NotificationWorkflowInput],
    signal: resendSignal,
    signalArgs: [args],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: [
      { key: HeraldWebhookId, value: n.webhookId },
      { key: HeraldEventType, value: n.eventType },
    ],
    staticSummary: `resend of ${n.eventType} → webhook ${n.webhookId}`,
  });
}
