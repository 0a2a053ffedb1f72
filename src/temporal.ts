/** The Temporal client side: connecting, search attributes, starting and signalling workflows. */
import { Client, Connection, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import {
  BULK_RESEND_WORKFLOW,
  bulkResendWorkflowId,
  HeraldEventType,
  HeraldStatus,
  HeraldWebhookId,
  NOTIFICATION_WORKFLOW,
  notificationWorkflowId,
  resendSignal,
  SEARCH_ATTRIBUTE_NAMES,
  type BulkResendFilter,
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
  /** For the Web UI summary: the request method and URL (or URL template; only its host is shown). */
  method?: string;
  url?: string;
}

/** What the client calls need: an API handle, or an activity's `{client, taskQueue}`. */
export type TemporalTarget = Pick<TemporalHandle, 'client' | 'taskQueue'>;

/** The host of a URL or URL template (`https://api.example.com/{{data.id}}` → `api.example.com`); never the path or query. */
export function destinationHost(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#]+)/i.exec(url.trim());
  return m?.[1];
}

/** The Web UI's one-line summary of a notification workflow: method, destination host, event type. */
export function notificationSummary(n: NotificationRef, prefix = ''): string {
  const host = destinationHost(n.url);
  const target = host ? `${n.method ?? 'POST'} ${host}` : `webhook ${n.webhookId}`;
  return `${prefix}${target} · ${n.eventType}`;
}

/**
 * Starts one notification's workflow. Starting twice is harmless: a running workflow is reused,
 * and a closed one is never run again by a start (only a resend, through signal-with-start).
 */
export async function startNotificationWorkflow(t: TemporalTarget, n: NotificationRef): Promise<void> {
  try {
    // A deadline over the SDK's own gRPC retries (about 20 s against a dead address): when Temporal
    // is unreachable the event is still accepted at once and the dispatcher starts the workflow later.
    await withDeadline(t, START_DEADLINE_MS, () => t.client.workflow.start(NOTIFICATION_WORKFLOW, {
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
      staticSummary: notificationSummary(n),
      staticDetails: `notification ${n.id} · webhook ${n.webhookId}`,
    }));
  } catch (err) {
    if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') return;
    throw err;
  }
}

/**
 * A manual resend: signal-with-start, so it works on a running workflow (an immediate manual
 * attempt, even while the automatic round waits out a backoff) and on a closed one (a new,
 * resend-only run under the same workflow id).
 */
export async function signalResend(t: TemporalTarget, n: NotificationRef, args: ResendArgs = {}): Promise<void> {
  await withDeadline(t, SIGNAL_DEADLINE_MS, () => t.client.workflow.signalWithStart(NOTIFICATION_WORKFLOW, {
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
    staticSummary: notificationSummary(n, 'resend: '),
    staticDetails: `notification ${n.id} · webhook ${n.webhookId}${args.reason ? ` · reason: ${args.reason}` : ''}`,
  }));
}

const START_DEADLINE_MS = 5_000;
const SIGNAL_DEADLINE_MS = 10_000;

/** Bounds a client call, retries included. */
function withDeadline<R>(t: TemporalTarget, ms: number, fn: () => Promise<R>): Promise<R> {
  return t.client.connection.withDeadline(Date.now() + ms, fn);
}

/** Starts a bulk resend job (see workflows/bulk-resend.ts); returns its workflow id. */
export async function startBulkResend(t: TemporalTarget, jobId: string, filter: BulkResendFilter, matched: number): Promise<string> {
  const workflowId = bulkResendWorkflowId(jobId);
  const described = Object.entries(filter)
    .filter(([k, v]) => v !== undefined && k !== 'notAfter')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  await t.client.workflow.start(BULK_RESEND_WORKFLOW, {
    taskQueue: t.taskQueue,
    workflowId,
    args: [filter],
    staticSummary: `bulk resend of ${matched} notification(s): ${described || 'all'}`,
  });
  return workflowId;
}
