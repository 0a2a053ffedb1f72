/** The Temporal client side: connecting, search attributes, starting and signalling workflows. */
import { Client, Connection, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import {
  BULK_RESEND_WORKFLOW,
  bulkResendWorkflowId,
  HeraldAccountId,
  HeraldEventType,
  HeraldStatus,
  HeraldWebhookId,
  NOTIFICATION_WORKFLOW,
  notificationWorkflowId,
  resendSignal,
  SEARCH_ATTRIBUTE_NAMES,
  stopSignal,
  type StopArgs,
  type BulkResendFilter,
  type DeliveryStatus,
  type NotificationWorkflowInput,
  type ResendArgs,
} from '../workflows/shared';
import { currentAccountId } from './accounts/scope';

export interface TemporalHandle {
  connection: Connection;
  client: Client;
  /**
   * The client shares a NativeConnection with a worker of this process on the task queue, so
   * workflow starts ask for eager start: the server hands the first workflow task back in the
   * start response and this process runs it, with no matching round trip.
   */
  eagerStart?: boolean;
  namespace: string;
  taskQueue: string;
  close(): Promise<void>;
}

export async function connectTemporal(opts: { address: string; namespace: string; taskQueue: string }): Promise<TemporalHandle> {
  const connection = await Connection.connect({ address: opts.address, connectTimeout: '10 seconds' });
  const client = new Client({ connection, namespace: opts.namespace });
  return { connection, client, namespace: opts.namespace, taskQueue: opts.taskQueue, close: () => connection.close() };
}

/**
 * Registers Herald's Keyword search attributes when missing (a real cluster; the dev server gets
 * them by flag). When they are missing and cannot be added (a cluster whose operator API Herald
 * may not use), fails with a message naming each missing one and the command that adds them.
 */
export async function ensureSearchAttributes(t: TemporalHandle): Promise<void> {
  const existing = await t.connection.operatorService.listSearchAttributes({ namespace: t.namespace });
  const missing = missingSearchAttributes(existing.customAttributes ?? {});
  if (missing.length === 0) return;
  try {
    await t.connection.operatorService.addSearchAttributes({
      namespace: t.namespace,
      searchAttributes: Object.fromEntries(missing.map((n) => [n, 2 /* INDEXED_VALUE_TYPE_KEYWORD */])),
    });
  } catch (err) {
    throw new Error(missingSearchAttributesMessage(t.namespace, missing, (err as Error).message));
  }
}

/** Herald's search attributes absent from a namespace's custom attributes. */
export function missingSearchAttributes(customAttributes: Record<string, unknown>): string[] {
  return SEARCH_ATTRIBUTE_NAMES.filter((n) => !(n in customAttributes));
}

export function missingSearchAttributesMessage(namespace: string, missing: readonly string[], reason: string): string {
  return (
    `the Temporal namespace ${namespace} lacks Herald's search attributes ${missing.join(', ')} (Keyword) and Herald could not add them (${reason}); ` +
    `workflows that set them fail until they exist. Add them with: temporal operator search-attribute create --namespace ${namespace} ` +
    missing.map((n) => `--name ${n} --type Keyword`).join(' ')
  );
}

/** How long the namespace keeps closed workflow histories (seconds), as the server reports it. */
export async function historyRetentionSeconds(connection: Pick<Connection, 'workflowService'>, namespace: string): Promise<number | null> {
  const ns = await connection.workflowService.describeNamespace({ namespace });
  const ttl = ns.config?.workflowExecutionRetentionTtl;
  return ttl?.seconds == null ? null : Number(ttl.seconds);
}

/** Sets the namespace's retention of closed histories (the embedded dev server; a real cluster is its operator's). */
export async function setHistoryRetention(connection: Pick<Connection, 'workflowService'>, namespace: string, seconds: number): Promise<void> {
  await connection.workflowService.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl: msToTs(seconds * 1000) } });
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
  /** The status it starts with: `pending`, or `failed` when it could not be rendered at fan-out. */
  status?: DeliveryStatus;
  /** For the Web UI summary: the request method and URL (or URL template; only its host is shown). */
  method?: string;
  url?: string;
}

/** What the client calls need: an API handle, or an activity's `{client, taskQueue}`. */
export type TemporalTarget = Pick<TemporalHandle, 'client' | 'taskQueue'> & { eagerStart?: boolean };

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
 * A notification's Temporal priority: its account as the fairness key, so when tasks queue up in
 * matching (workers busy) each account gets an equal share of dispatch instead of first come,
 * first served. The workflow's activities inherit it. Needs the server's `matching.enableFairness`
 * (set on the embedded dev server; a production cluster's operator sets it, see README "Accounts").
 */
function fairShare(): { fairnessKey: string } {
  return { fairnessKey: currentAccountId() };
}

/**
 * Starts one notification's workflow. Starting twice is harmless: a running workflow is reused,
 * and a closed one is never run again by a start (only a resend, through signal-with-start).
 */
export async function startNotificationWorkflow(t: TemporalTarget, n: NotificationRef): Promise<void> {
  try {
    // A deadline over the SDK's own gRPC retries (about 20 s against a dead address): when Temporal
    // is unreachable the event is still accepted at once and the dispatch sweeper starts the workflow later.
    await withDeadline(t, START_DEADLINE_MS, () => t.client.workflow.start(NOTIFICATION_WORKFLOW, {
      taskQueue: t.taskQueue,
      workflowId: notificationWorkflowId(n.id),
      args: [{ notificationId: n.id, accountId: currentAccountId() } satisfies NotificationWorkflowInput],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      requestEagerStart: t.eagerStart === true,
      priority: fairShare(),
      typedSearchAttributes: [
        { key: HeraldStatus, value: n.status ?? 'pending' },
        { key: HeraldWebhookId, value: n.webhookId },
        { key: HeraldEventType, value: n.eventType },
        { key: HeraldAccountId, value: currentAccountId() },
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
 * A manual resend. A notification's execution stays open for the resend window, so this is
 * normally a plain signal to it. After the window (or for an execution that closed under an older
 * version) signal-with-start opens a new, resend-only run; the closed run is then deleted from
 * Temporal, so a visibility query never counts one notification twice with two statuses (the
 * audit trail lives in MongoDB).
 */
export async function signalResend(t: TemporalTarget, n: NotificationRef, args: ResendArgs = {}): Promise<void> {
  const workflowId = notificationWorkflowId(n.id);
  const previous = await withDeadline(t, SIGNAL_DEADLINE_MS, () => t.client.workflow.getHandle(workflowId).describe()).catch((err: Error) => {
    if (err.name === 'WorkflowNotFoundError') return null;
    throw err;
  });
  if (previous?.status.name === 'RUNNING') {
    await withDeadline(t, SIGNAL_DEADLINE_MS, () => t.client.workflow.getHandle(workflowId, previous.runId).signal(resendSignal, args)).catch(async (err: Error) => {
      // It closed in between (its window just ended): fall through to a new run.
      if (err.name !== 'WorkflowNotFoundError') throw err;
      await resendInNewRun(t, n, args, previous.runId);
    });
    return;
  }
  await resendInNewRun(t, n, args, previous?.runId ?? null);
}

async function resendInNewRun(t: TemporalTarget, n: NotificationRef, args: ResendArgs, closedRunId: string | null): Promise<void> {
  const workflowId = notificationWorkflowId(n.id);
  await withDeadline(t, SIGNAL_DEADLINE_MS, () => t.client.workflow.signalWithStart(NOTIFICATION_WORKFLOW, {
    taskQueue: t.taskQueue,
    workflowId,
    args: [{ notificationId: n.id, accountId: currentAccountId(), resendOnly: true } satisfies NotificationWorkflowInput],
    signal: resendSignal,
    signalArgs: [args],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    priority: fairShare(),
    typedSearchAttributes: [
      { key: HeraldStatus, value: n.status ?? 'failed' },
      { key: HeraldWebhookId, value: n.webhookId },
      { key: HeraldEventType, value: n.eventType },
      { key: HeraldAccountId, value: currentAccountId() },
    ],
    staticSummary: notificationSummary(n, 'resend: '),
    staticDetails: `notification ${n.id} · webhook ${n.webhookId}${args.reason ? ` · reason: ${args.reason}` : ''}`,
  }));
  if (closedRunId) await deleteClosedRun(t, workflowId, closedRunId);
}

async function deleteClosedRun(t: TemporalTarget, workflowId: string, runId: string): Promise<void> {
  await withDeadline(t, SIGNAL_DEADLINE_MS, () =>
    t.client.workflowService.deleteWorkflowExecution({ namespace: t.client.options.namespace, workflowExecution: { workflowId, runId } }),
  ).catch((err: Error) => {
    // Already gone (retention) is fine; anything else only leaves a stale closed run behind.
    if (!/not found/i.test(err.message)) throw err;
  });
}

/** Stops a notification's automatic round (see workflows/notification.ts). A closed execution has nothing to stop. */
export async function signalStop(t: TemporalTarget, notificationId: string, args: StopArgs): Promise<void> {
  await withDeadline(t, SIGNAL_DEADLINE_MS, () => t.client.workflow.getHandle(notificationWorkflowId(notificationId)).signal(stopSignal, args)).catch((err: Error) => {
    if (err.name !== 'WorkflowNotFoundError') throw err;
  });
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
    args: [{ ...filter, accountId: currentAccountId() }],
    typedSearchAttributes: [{ key: HeraldAccountId, value: currentAccountId() }],
    staticSummary: `bulk resend of ${matched} notification(s): ${described || 'all'}`,
  });
  return workflowId;
}
