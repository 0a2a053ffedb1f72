/**
 * Temporal history of a sample of notification workflows, counted by event type. The type is read
 * from the one `*EventAttributes` field each event carries (no proto enum import needed).
 */
import type { Client } from '@temporalio/client';

export interface HistoryCounts {
  workflows: number;
  events: number;
  byType: Map<string, number>;
  localActivityMarkers: number;
}

/** 'workflowTaskCompletedEventAttributes' → 'WorkflowTaskCompleted'. */
export function eventTypeName(event: object): string {
  const rec = event as Record<string, unknown>;
  for (const key of Object.keys(rec)) {
    if (key.endsWith('EventAttributes') && rec[key]) {
      const base = key.slice(0, -'EventAttributes'.length);
      return base[0].toUpperCase() + base.slice(1);
    }
  }
  return `type${String(rec.eventType ?? '?')}`;
}

export function countEvents(histories: ReadonlyArray<{ events?: readonly object[] | null }>): HistoryCounts {
  const byType = new Map<string, number>();
  let events = 0;
  let localActivityMarkers = 0;
  for (const h of histories) {
    for (const e of h.events ?? []) {
      events++;
      const type = eventTypeName(e);
      byType.set(type, (byType.get(type) ?? 0) + 1);
      const marker = (e as { markerRecordedEventAttributes?: { markerName?: string | null } }).markerRecordedEventAttributes;
      if (marker?.markerName === 'core_local_activity') localActivityMarkers++;
    }
  }
  return { workflows: histories.length, events, byType, localActivityMarkers };
}

export async function fetchHistories(client: Client, workflowIds: readonly string[], concurrency = 5): Promise<Array<{ events?: readonly object[] | null }>> {
  const out: Array<{ events?: readonly object[] | null }> = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < workflowIds.length) {
        const id = workflowIds[next++];
        out.push((await client.workflow.getHandle(id).fetchHistory()) as { events?: readonly object[] | null });
      }
    }),
  );
  return out;
}
