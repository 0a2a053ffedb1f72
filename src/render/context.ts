/**
 * What templates (body and URL) can see. The context is built once per notification from the
 * event, the notification and the webhook; templates reach it only through these four roots.
 */

export interface TemplateContext {
  event: { id: string; type: string; occurredAt: string; entityIds: string[] };
  data: Record<string, unknown>;
  notification: { id: string };
  webhook: { id: string; name: string };
}

/** The only top-level names a placeholder may start with. */
export const ALLOWED_ROOTS = ['event', 'data', 'notification', 'webhook'] as const;
export type AllowedRoot = (typeof ALLOWED_ROOTS)[number];

/**
 * Fields of the fixed roots: a typo like `{{event.ocurredAt}}` would silently render empty, so
 * validation rejects it. `data` is free-form and has no entry.
 */
export const ROOT_FIELDS: Readonly<Record<Exclude<AllowedRoot, 'data'>, readonly string[]>> = {
  event: ['id', 'type', 'occurredAt', 'entityIds'],
  notification: ['id'],
  webhook: ['id', 'name'],
};

export function isAllowedRoot(name: string): name is AllowedRoot {
  return (ALLOWED_ROOTS as readonly string[]).includes(name);
}

/**
 * A synthetic event used to check templates at save time. `data` defaults to a small example;
 * template validation passes a `data` shaped after the paths the template actually uses, so that
 * `{"amount": {{data.amount}}}` renders as a well-formed document.
 */
export function sampleContext(data?: Record<string, unknown>): TemplateContext {
  return {
    event: {
      id: 'evt_sample',
      type: 'sample.event',
      occurredAt: '2025-01-01T00:00:00.000Z',
      entityIds: ['entity-1', 'entity-2'],
    },
    data: data ?? { id: 'sample-1', amount: 1000, currency: 'EUR' },
    notification: { id: 'ntf_sample' },
    webhook: { id: 'wh_sample', name: 'Sample webhook' },
  };
}
